package share

import (
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/events"
	"clouddrive/pkg/skeleton"
)

// Main runs the share service alone (cmd/share): events to Kafka, the file,
// storage and user services over gRPC (services.*: "discovery:///file" or
// host:port).
func Main() {
	c := &Config{}
	skeleton.Main("share", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		s := c.GetServices()
		files, err := p.Dial(s.GetFile())
		if err != nil {
			return nil, nil, err
		}
		blobs, err := p.Dial(s.GetStorage())
		if err != nil {
			return nil, nil, err
		}
		users, err := p.Dial(s.GetUser())
		if err != nil {
			return nil, nil, err
		}
		kafka, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("share"))
		if err != nil {
			return nil, nil, err
		}
		m, cleanup, err := New(c, kafka, Clients{Files: filev1.NewFileInternalClient(files),
			Storage: storagev1.NewStorageInternalClient(blobs), Users: userv1.NewUserInternalClient(users)}, p.Logger)
		if err != nil {
			_ = kafka.Close()
			return nil, nil, err
		}
		return m, func() { cleanup(); _ = kafka.Close() }, nil
	})
}
