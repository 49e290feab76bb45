package file

import (
	"fmt"
	"os"

	"github.com/IBM/sarama"

	"clouddrive/pkg/events"
	"clouddrive/pkg/skeleton"
)

// Main runs the file service alone (cmd/file): its outbox goes to Kafka,
// and its WaitChanges calls wake from the file events on Kafka.
func Main() {
	c := &Config{}
	skeleton.Main("file", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		kafka, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("file"))
		if err != nil {
			return nil, nil, err
		}
		// The cache section sits beside Config in the same file.
		cache := &CacheConfig{}
		if err := p.Config.Scan(cache); err != nil {
			_ = kafka.Close()
			return nil, nil, err
		}
		m, cleanup, err := NewCached(c, cache, kafka, p.Logger)
		if err != nil {
			_ = kafka.Close()
			return nil, nil, err
		}
		// A consumer group of this instance's own: every instance must see
		// every event to wake its own waiters, whichever instance made the
		// change. Only news matters: it starts at the newest offset.
		cc := events.KafkaConfig("file-changes")
		cc.Consumer.Offsets.Initial = sarama.OffsetNewest
		host, _ := os.Hostname()
		group := fmt.Sprintf("file-changes-%s-%d", host, os.Getpid())
		consumer, err := events.NewKafkaConsumer(c.GetEvents().GetBrokers(), group, []string{events.TopicFile},
			m.ChangeHandler(), cc, p.Logger)
		if err != nil {
			cleanup()
			_ = kafka.Close()
			return nil, nil, err
		}
		m.extra = append(m.extra, consumer)
		return m, func() { cleanup(); _ = kafka.Close() }, nil
	})
}
