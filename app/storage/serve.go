package storage

import (
	filev1 "clouddrive/api/file/v1"
	sharev1 "clouddrive/api/share/v1"
	"clouddrive/pkg/skeleton"
)

// Main runs the storage service alone (cmd/storage): the file and share
// services over gRPC (files.endpoint, shares.endpoint: "discovery:///file"
// or host:port), MySQL and the configured backend.
func Main() {
	c := &Config{}
	skeleton.Main("storage", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		files, err := p.Dial(c.GetFiles().GetEndpoint())
		if err != nil {
			return nil, nil, err
		}
		shares, err := p.Dial(c.GetShares().GetEndpoint())
		if err != nil {
			return nil, nil, err
		}
		o, err := p.Auth()
		if err != nil {
			return nil, nil, err
		}
		return New(c, filev1.NewFileInternalClient(files), sharev1.NewShareInternalClient(shares), o, p.Logger)
	})
}
