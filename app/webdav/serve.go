package webdav

import (
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/skeleton"
)

// Main runs the WebDAV service alone (cmd/webdav): /dav/ on its HTTP port
// and no gRPC server, the user, file and storage services over gRPC
// (services.*: "discovery:///file" or host:port), with the skeleton every
// service has (etcd registration, /healthz, /readyz, /metrics, tracing).
func Main() {
	c := &Config{}
	skeleton.Main("webdav", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		s := c.GetServices()
		users, err := p.Dial(s.GetUser())
		if err != nil {
			return nil, nil, err
		}
		files, err := p.Dial(s.GetFile())
		if err != nil {
			return nil, nil, err
		}
		blobs, err := p.Dial(s.GetStorage())
		if err != nil {
			return nil, nil, err
		}
		return New(c, Clients{Users: userv1.NewUserInternalClient(users), Files: filev1.NewFileClient(files),
			Storage: storagev1.NewStorageClient(blobs)}, p.Logger)
	})
}
