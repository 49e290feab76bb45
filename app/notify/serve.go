package notify

import (
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/skeleton"
)

// Main runs the notify service alone (cmd/notify): the user service over
// gRPC (users.endpoint: "discovery:///user" or host:port), events from
// Kafka.
func Main() {
	c := &Config{}
	skeleton.Main("notify", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		conn, err := p.Dial(c.GetUsers().GetEndpoint())
		if err != nil {
			return nil, nil, err
		}
		m, cleanup, err := New(c, userv1.NewUserInternalClient(conn), p.Logger)
		if err != nil {
			return nil, nil, err
		}
		consumer, err := NewConsumer(c, m, p.Logger)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		return skeleton.WithServers(m, consumer), cleanup, nil
	})
}
