package cdcrelay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-mysql-org/go-mysql/canal"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"clouddrive/pkg/events"
	"clouddrive/pkg/telemetry"
)

// Relay reads the binlog and publishes each change before it stores the
// position after it: a crash between the two publishes the change again on
// restart (at-least-once; cachesync's version checks make that harmless).
// It is a kratos transport.Server.
type Relay struct {
	c    *Config
	pos  positionFile
	log  *log.Helper
	prod sarama.SyncProducer

	mu      sync.Mutex
	canal   *canal.Canal
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewRelay prepares the relay; it connects when started.
func NewRelay(c *Config, logger log.Logger) (*Relay, error) {
	b := c.GetBinlog()
	if b.GetAddr() == "" || b.GetDatabase() == "" || b.GetPositionFile() == "" {
		return nil, errors.New("cdcrelay: binlog.addr, binlog.database and binlog.position_file are required")
	}
	if len(c.GetEvents().GetBrokers()) == 0 {
		return nil, errors.New("cdcrelay: no Kafka brokers configured (events.brokers)")
	}
	return &Relay{c: c, pos: positionFile{b.GetPositionFile()}, done: make(chan struct{}),
		log: log.NewHelper(log.With(logger, "module", "cdcrelay"))}, nil
}

// producerConfig is the services' producer configuration (acks from all,
// idempotent, keyed partitions) with record timestamps: each message
// carries its binlog event's time, from which cachesync measures lag.
func producerConfig() *sarama.Config {
	c := events.KafkaConfig("cdcrelay")
	c.Producer.Flush.Frequency = time.Millisecond
	return c
}

// Start relays until Stop; a lost connection (database or Kafka) is retried
// with backoff from the stored position.
func (r *Relay) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	defer close(r.done)
	for delay := 200 * time.Millisecond; ctx.Err() == nil; delay = min(delay*2, 10*time.Second) {
		err := r.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.log.Warnw("msg", "binlog relay stopped; starting again", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
	return nil
}

func (r *Relay) runOnce(ctx context.Context) error {
	if r.prod == nil {
		p, err := sarama.NewSyncProducer(r.c.GetEvents().GetBrokers(), producerConfig())
		if err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
		r.prod = p
	}
	b := r.c.GetBinlog()
	cfg := canal.NewDefaultConfig()
	cfg.Addr, cfg.User, cfg.Password = b.GetAddr(), b.GetUser(), b.GetPassword()
	cfg.Flavor = b.GetFlavor()
	if cfg.Flavor == "" {
		cfg.Flavor = mysql.MariaDBFlavor
	}
	cfg.ServerID = b.GetServerId()
	if cfg.ServerID == 0 {
		cfg.ServerID = 4100 + rand.Uint32N(1000)
	}
	cfg.IncludeTableRegex = []string{"^" + regexp.QuoteMeta(b.GetDatabase()) + `\.(nodes|quotas)$`}
	cfg.Dump.ExecutionPath = "" // no snapshot: the caches fill by read-through
	cfg.DiscardNoMetaRowEvent = true
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := canal.NewCanal(cfg)
	if err != nil {
		return err
	}
	pos, ok, err := r.pos.load()
	if err != nil {
		c.Close()
		return err
	}
	if !ok {
		// First run: from the server's current position. What changed
		// before is in MySQL, where read-through finds it.
		if pos, err = c.GetMasterPos(); err != nil {
			c.Close()
			return err
		}
		if err := r.pos.save(pos); err != nil {
			c.Close()
			return err
		}
	}
	h := &handler{r: r, db: b.GetDatabase()}
	c.SetEventHandler(h)
	flusher := make(chan struct{})
	defer close(flusher)
	go func() {
		tick := time.NewTicker(batchWait)
		defer tick.Stop()
		for {
			select {
			case <-flusher:
				return
			case <-tick.C:
				if err := h.flush(); err != nil {
					c.Close() // RunFrom returns; Start resumes from the stored position
					return
				}
			}
		}
	}()
	r.mu.Lock()
	r.canal, r.running = c, true
	r.mu.Unlock()
	r.log.Infow("msg", "relaying the binlog", "from", pos.String())
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	err = c.RunFrom(pos)
	r.mu.Lock()
	r.running = false
	r.mu.Unlock()
	c.Close()
	// What canal handed over before it stopped still goes out (a clean
	// stop loses nothing even from the last few milliseconds).
	if ferr := h.flush(); err == nil {
		err = ferr
	}
	if err == nil {
		err = errors.New("canal ended")
	}
	return err
}

// Ready reports whether the relay is reading the binlog (/readyz).
func (r *Relay) Ready(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return errors.New("not reading the binlog")
	}
	return nil
}

// Stop ends Start, keeping the position of the last published change.
func (r *Relay) Stop(ctx context.Context) error {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
		}
	}
	if r.prod != nil {
		return r.prod.Close()
	}
	return nil
}

// handler publishes row events of the relayed tables and stores positions.
// Messages are sent in batches: those of the transactions canal handed over
// within a few milliseconds (or up to batchMax of them) go in one request,
// which keeps the relay ahead of a busy database; the position is stored
// only once the batch holding every change before it is acknowledged.
type handler struct {
	canal.DummyEventHandler
	r  *Relay
	db string

	mu    sync.Mutex
	batch []*sarama.ProducerMessage
	ops   []string
	pos   *mysql.Position // where a restart resumes once batch is sent
	since time.Time       // when batch began
	err   error           // a failed send: canal stops, Start resumes
}

const (
	batchWait = 5 * time.Millisecond
	batchMax  = 1000
)

func (h *handler) String() string { return "cdcrelay" }

func (h *handler) OnRow(e *canal.RowsEvent) error {
	if e.Table.Schema != h.db {
		return nil
	}
	t, ok := tables[e.Table.Name]
	if !ok {
		return nil
	}
	msgs, err := encode(t, e.Table, e.Action, e.Rows)
	if err != nil {
		return err
	}
	at := time.Unix(int64(e.Header.Timestamp), 0)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	if len(h.batch) == 0 {
		h.since = time.Now()
	}
	for _, m := range msgs {
		h.batch = append(h.batch, &sarama.ProducerMessage{Topic: m.topic, Key: sarama.ByteEncoder(m.key),
			Value: sarama.ByteEncoder(m.value), Timestamp: at})
		h.ops = append(h.ops, m.op)
	}
	return nil
}

// OnPosSynced is called after each transaction, rotation or DDL: every
// row event before pos has been through OnRow. The batch goes when it is
// full or old enough (else the flusher sends it within batchWait).
func (h *handler) OnPosSynced(_ *replication.EventHeader, pos mysql.Position, _ mysql.GTIDSet, force bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = &pos
	if force || len(h.batch) >= batchMax || time.Since(h.since) >= batchWait {
		return h.flushLocked()
	}
	return h.err
}

// flush sends what is pending (the flusher, every batchWait).
func (h *handler) flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.flushLocked()
}

func (h *handler) flushLocked() error {
	if h.err != nil {
		return h.err
	}
	if len(h.batch) > 0 {
		// Until Kafka has them, the position does not move: an error
		// stops canal, and Start begins again from the stored position.
		if err := h.r.prod.SendMessages(h.batch); err != nil {
			h.err = fmt.Errorf("kafka: %w", err)
			return h.err
		}
		for i, m := range h.batch {
			telemetry.CDCEvents.WithLabelValues(m.Topic, h.ops[i]).Inc()
		}
		h.batch, h.ops = h.batch[:0], h.ops[:0]
	}
	if h.pos != nil {
		if err := h.r.pos.save(*h.pos); err != nil {
			h.err = err
			return err
		}
		h.pos = nil
	}
	return nil
}
