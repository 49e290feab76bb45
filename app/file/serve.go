package file

import (
	"clouddrive/pkg/events"
	"clouddrive/pkg/skeleton"
)

// Main runs the file service alone (cmd/file): its outbox goes to Kafka.
func Main() {
	c := &Config{}
	skeleton.Main("file", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		kafka, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("file"))
		if err != nil {
			return nil, nil, err
		}
		m, cleanup, err := New(c, kafka, p.Logger)
		if err != nil {
			_ = kafka.Close()
			return nil, nil, err
		}
		return m, func() { cleanup(); _ = kafka.Close() }, nil
	})
}
