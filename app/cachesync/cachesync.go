// Package cachesync keeps the file service's Redis caches from the change
// stream of its tables (debezium-json on Kafka, from Flink CDC or
// app/cdcrelay): each change becomes a versioned write or a tombstone of
// the row, and moves on the listing stamp of the folders it touches.
package cachesync

import (
	"crypto/ed25519"
	_ "embed"
	"errors"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/redis/go-redis/v9"

	"clouddrive/app/cachesync/internal/conf"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/cdc"
	"clouddrive/pkg/config"
	"clouddrive/pkg/events"
	"clouddrive/pkg/skeleton"
)

// Config is cachesync's configuration (internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

type module struct{ consumer transport.Server }

func (module) RegisterGRPC(*grpc.Server)     {}
func (module) RegisterHTTP(*http.Server)     {}
func (m module) Servers() []transport.Server { return []transport.Server{m.consumer} }

// CacheOf is the cache layout c describes on rdb.
func CacheOf(c *Config, rdb redis.UniversalClient) *cdc.Cache {
	cc := c.GetCache()
	ttl := cdc.DefaultTTLs()
	if d := cc.GetRowTtl().AsDuration(); d > 0 {
		ttl.Row = d
	}
	if d := cc.GetTombstoneTtl().AsDuration(); d > 0 {
		ttl.Tomb = d
	}
	if cc.GetJitter() != nil {
		ttl.Jitter = cc.GetJitter().AsDuration()
	}
	return cdc.NewCache(rdb, cc.GetPrefix(), ttl)
}

// NewConsumer joins the consumer group on both topics and applies the
// changes each partition fetched to the cache as one batch; a batch that
// cannot be applied (Redis down) is retried, never skipped, and the group's
// offset waits for it.
func NewConsumer(c *Config, cache *cdc.Cache, logger log.Logger) (*events.KafkaConsumer, error) {
	e := c.GetEvents()
	if len(e.GetBrokers()) == 0 {
		return nil, errors.New("cachesync: no Kafka brokers configured (events.brokers)")
	}
	group := e.GetGroup()
	if group == "" {
		group = "cachesync"
	}
	a := NewApplier(cache, logger)
	return events.NewKafkaBatchConsumer(e.GetBrokers(), group, []string{cdc.TopicNodes, cdc.TopicQuotas}, a.HandleBatch,
		events.KafkaConfig("cachesync"), logger)
}

// Main runs cachesync (cmd/cachesync) with /healthz, /readyz and /metrics.
func Main() {
	c := &Config{}
	skeleton.Main("cachesync", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		// No route takes a token: a throwaway key stands in for the user
		// service's, which this process has no use for.
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, nil, err
		}
		p.Verifier = auth.NewVerifier(pub)
		rc := c.GetData().GetRedis()
		if rc.GetAddr() == "" {
			return nil, nil, errors.New("cachesync: data.redis.addr is required")
		}
		rdb := redis.NewClient(&redis.Options{Addr: rc.GetAddr(), Password: rc.GetPassword(), DB: int(rc.GetDb())})
		consumer, err := NewConsumer(c, CacheOf(c, rdb), p.Logger)
		if err != nil {
			_ = rdb.Close()
			return nil, nil, err
		}
		return module{consumer}, func() { _ = rdb.Close() }, nil
	})
}
