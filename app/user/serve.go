package user

import (
	"github.com/go-kratos/kratos/v2/transport"

	"clouddrive/pkg/skeleton"
)

// Servers: the user service has no background worker.
func (m *Module) Servers() []transport.Server { return nil }

// Main runs the user service alone (cmd/user): it verifies tokens with the
// key it signs them with.
func Main() {
	c := &Config{}
	skeleton.Main("user", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		keys, err := LoadKeys(c)
		if err != nil {
			return nil, nil, err
		}
		p.Verifier = keys.Verifier
		return New(c, keys, p.Revocations, p.Logger)
	})
}
