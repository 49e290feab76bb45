// Package data implements the WebDAV service's ports: gRPC clients of the
// user, file and storage services, and the lock and dead-property stores
// (Redis when several instances share them, memory on one machine).
package data

import (
	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/ratelimit"
)

// Data is the service's shared state: Redis, or nothing on one machine.
type Data struct {
	Redis  redis.UniversalClient // nil: memory
	Prefix string
}

// NewData connects to Redis when addr is set.
func NewData(addr, password string, db int, prefix string) (*Data, func()) {
	if addr == "" {
		return &Data{}, func() {}
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: db})
	return &Data{Redis: rdb, Prefix: prefix}, func() { _ = rdb.Close() }
}

// NewLimiter counts sign-in attempts where every instance sees them.
func NewLimiter(d *Data) ratelimit.Limiter {
	if d.Redis == nil {
		return ratelimit.NewMemory()
	}
	return ratelimit.NewRedis(d.Redis, d.Prefix)
}
