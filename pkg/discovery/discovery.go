// Package discovery finds the services of a deployment: each registers in
// etcd while it runs (the kratos contrib registry), and clients dial
// "discovery:///<service>" through kratos's gRPC transport, which balances
// over every registered instance. A fixed "host:port" still works (the
// standalone binary and a single-instance setup need no etcd).
package discovery

import (
	"fmt"
	"time"

	etcdreg "github.com/go-kratos/kratos/contrib/registry/etcd/v2"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Config says where the registry is; no endpoints: no registry.
type Config struct {
	Endpoints []string
	// Namespace is the key prefix of the deployment ("/clouddrive").
	Namespace string
	// TTL of an instance's lease: a killed instance disappears after it.
	TTL time.Duration
	// DialTimeout bounds reaching etcd at start.
	DialTimeout time.Duration
}

// Registry is the etcd registry (Registrar and Discovery) and its client.
type Registry struct {
	*etcdreg.Registry
	Client *clientv3.Client
}

// Open connects to etcd; nil (and no error) when none is configured.
func Open(c Config) (*Registry, error) {
	if len(c.Endpoints) == 0 {
		return nil, nil
	}
	dt := c.DialTimeout
	if dt <= 0 {
		dt = 5 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: dt})
	if err != nil {
		return nil, fmt.Errorf("discovery: etcd %v: %w", c.Endpoints, err)
	}
	ns := c.Namespace
	if ns == "" {
		ns = "/clouddrive"
	}
	opts := []etcdreg.Option{etcdreg.Namespace(ns)}
	if c.TTL > 0 {
		opts = append(opts, etcdreg.RegisterTTL(c.TTL))
	}
	return &Registry{Registry: etcdreg.New(cli, opts...), Client: cli}, nil
}

// Close closes the etcd client.
func (r *Registry) Close() error {
	if r == nil {
		return nil
	}
	return r.Client.Close()
}
