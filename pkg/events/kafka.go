package events

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/prometheus/client_golang/prometheus"

	"clouddrive/pkg/telemetry"
)

// headerID carries Message.ID on Kafka.
const headerID = "event_id"

// KafkaConfig is sarama's configuration as the relay and consumers use it:
// acks from all replicas, idempotent producer, batching by Flush settings,
// partitions by key, offsets committed after handling.
func KafkaConfig(clientID string) *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = clientID
	c.Version = sarama.V2_8_0_0
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Idempotent = true
	c.Net.MaxOpenRequests = 1 // what the idempotent producer requires
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Producer.Flush.Messages = 500
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	c.Producer.Retry.Max = 5
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = true
	c.Consumer.Offsets.AutoCommit.Interval = time.Second
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	return c
}

// KafkaPublisher sends batches with sarama's synchronous producer, which
// batches on the wire by the Flush settings. It connects on first use and
// again after a failure, so a service starts while Kafka is down (its
// outbox keeps the events meanwhile).
type KafkaPublisher struct {
	brokers []string
	c       *sarama.Config
	mu      sync.Mutex
	p       sarama.SyncProducer
}

// NewKafkaPublisher returns a publisher to brokers.
func NewKafkaPublisher(brokers []string, c *sarama.Config) (*KafkaPublisher, error) {
	if len(brokers) == 0 {
		return nil, errors.New("events: no Kafka brokers configured")
	}
	return &KafkaPublisher{brokers: brokers, c: c}, nil
}

func (k *KafkaPublisher) producer() (sarama.SyncProducer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p == nil {
		p, err := sarama.NewSyncProducer(k.brokers, k.c)
		if err != nil {
			return nil, err
		}
		k.p = p
	}
	return k.p, nil
}

// Publish implements Publisher.
func (k *KafkaPublisher) Publish(_ context.Context, msgs []Message) error {
	p, err := k.producer()
	if err != nil {
		return err
	}
	pms := make([]*sarama.ProducerMessage, len(msgs))
	for i, m := range msgs {
		hs := []sarama.RecordHeader{{Key: []byte(headerID), Value: []byte(m.ID)}}
		for k, v := range m.Trace { // the trace goes on in the consumers
			hs = append(hs, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
		}
		pms[i] = &sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload),
			Headers: hs}
	}
	return p.SendMessages(pms)
}

// Close flushes and closes the producer.
func (k *KafkaPublisher) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p == nil {
		return nil
	}
	return k.p.Close()
}

// KafkaConsumer runs a handler over topics as a member of a consumer group.
// Each partition is handled in order by its own goroutine (sarama runs one
// per claimed partition), and its offset advances only past messages handled:
// a consumer killed mid-batch gets the rest again, and idempotent handlers
// make that harmless. It is a kratos transport.Server.
type KafkaConsumer struct {
	name   string
	group  sarama.ConsumerGroup
	topics []string
	h      Handler
	batch  BatchHandler // when set, instead of h
	log    *log.Helper
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewKafkaConsumer joins group on brokers.
func NewKafkaConsumer(brokers []string, group string, topics []string, h Handler, c *sarama.Config, logger log.Logger) (*KafkaConsumer, error) {
	g, err := sarama.NewConsumerGroup(brokers, group, c)
	if err != nil {
		return nil, err
	}
	return &KafkaConsumer{name: group, group: g, topics: topics, h: h, done: make(chan struct{}),
		log: log.NewHelper(log.With(logger, "module", "events/consumer", "group", group))}, nil
}

// BatchHandler handles, in order, the messages of one partition that were
// fetched together; an error has all of them handed over again.
type BatchHandler func(ctx context.Context, ms []Message) error

// batchMax bounds a batch: what one handler call (one Redis pipeline, say)
// takes at most.
const batchMax = 500

// NewKafkaBatchConsumer joins group on brokers with a handler of batches:
// what a partition has fetched (up to batchMax messages) goes in one call,
// so a handler that writes them in one round trip keeps up with a stream
// that one round trip a message cannot.
func NewKafkaBatchConsumer(brokers []string, group string, topics []string, h BatchHandler, c *sarama.Config, logger log.Logger) (*KafkaConsumer, error) {
	k, err := NewKafkaConsumer(brokers, group, topics, nil, c, logger)
	if err != nil {
		return nil, err
	}
	k.batch = h
	return k, nil
}

// Start consumes until Stop.
func (k *KafkaConsumer) Start(ctx context.Context) error {
	ctx, k.cancel = context.WithCancel(ctx)
	defer close(k.done)
	for ctx.Err() == nil {
		if err := k.group.Consume(ctx, k.topics, groupHandler{k}); err != nil {
			if errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return nil
			}
			k.log.Warnw("msg", "consumer group session ended", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Stop leaves the group (committing what was handled) and ends Start.
func (k *KafkaConsumer) Stop(ctx context.Context) error {
	k.once.Do(func() {
		if k.cancel != nil {
			k.cancel()
		}
	})
	select {
	case <-k.done:
	case <-ctx.Done():
	}
	return k.group.Close()
}

type groupHandler struct{ k *KafkaConsumer }

func (groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim handles one partition in order. A failing message is retried
// (with backoff) rather than skipped: skipping would lose a notification.
func (g groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	if g.k.batch != nil {
		return g.consumeBatches(sess, claim)
	}
	lag := telemetry.ConsumerLag.MustCurryWith(prometheus.Labels{"group": g.k.name})
	for msg := range claim.Messages() {
		m := messageOf(msg)
		lag.WithLabelValues(msg.Topic, strconv.Itoa(int(msg.Partition))).Set(float64(claim.HighWaterMarkOffset() - msg.Offset - 1))
		if !g.retry(sess, m.Topic, m.ID, func(ctx context.Context) error { return consume(ctx, g.k.name, m, g.k.h) }) {
			return nil
		}
		sess.MarkMessage(msg, "")
	}
	return nil
}

// consumeBatches hands the handler what the partition has fetched, up to
// batchMax messages at once, and marks the offset past the last of them
// only once the whole batch is handled.
func (g groupHandler) consumeBatches(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	lag := telemetry.ConsumerLag.MustCurryWith(prometheus.Labels{"group": g.k.name})
	batch := make([]Message, 0, batchMax)
	for msg := range claim.Messages() {
		batch = append(batch[:0], messageOf(msg))
		last := msg
	more:
		for len(batch) < batchMax {
			select {
			case next, ok := <-claim.Messages():
				if !ok {
					break more
				}
				batch, last = append(batch, messageOf(next)), next
			default:
				break more
			}
		}
		lag.WithLabelValues(last.Topic, strconv.Itoa(int(last.Partition))).Set(float64(claim.HighWaterMarkOffset() - last.Offset - 1))
		if !g.retry(sess, last.Topic, batch[0].ID, func(ctx context.Context) error { return consumeBatch(ctx, g.k.name, batch, g.k.batch) }) {
			return nil
		}
		sess.MarkMessage(last, "")
	}
	return nil
}

// retry runs fn until it succeeds (with backoff): skipping would lose a
// notification. False when the session ended first.
func (g groupHandler) retry(sess sarama.ConsumerGroupSession, topic, id string, fn func(context.Context) error) bool {
	for delay := 100 * time.Millisecond; ; delay = min(delay*2, 10*time.Second) {
		err := fn(sess.Context())
		if err == nil {
			return true
		}
		g.k.log.Warnw("msg", "handler failed; retrying", "topic", topic, "event", id, "err", err)
		select {
		case <-sess.Context().Done():
			return false
		case <-time.After(delay):
		}
	}
}

func messageOf(msg *sarama.ConsumerMessage) Message {
	m := Message{Topic: msg.Topic, Key: string(msg.Key), Payload: msg.Value, Trace: map[string]string{}, Time: msg.Timestamp}
	for _, h := range msg.Headers {
		if string(h.Key) == headerID {
			m.ID = string(h.Value)
		} else {
			m.Trace[string(h.Key)] = string(h.Value)
		}
	}
	return m
}
