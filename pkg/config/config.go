// Package config loads a service's configuration: the defaults embedded from
// its configs/config.yaml, overlaid by a file when one is given. It is the one
// place that may read the environment (for the Nacos overlay, later).
package config

import (
	"context"
	"fmt"

	kconfig "github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/config/file"
	"google.golang.org/protobuf/proto"
)

// Load fills into from defaults (YAML) and then, when path is not empty, the
// file or folder at path; later sources win key by key.
func Load(into proto.Message, defaults []byte, path string) error {
	sources := []kconfig.Source{bytesSource{name: "defaults.yaml", data: defaults}}
	if path != "" {
		sources = append(sources, file.NewSource(path))
	}
	c := kconfig.New(kconfig.WithSource(sources...))
	defer c.Close()
	if err := c.Load(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.Scan(into); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// bytesSource is a config source over bytes in memory.
type bytesSource struct {
	name string
	data []byte
}

func (s bytesSource) Load() ([]*kconfig.KeyValue, error) {
	return []*kconfig.KeyValue{{Key: s.name, Value: s.data, Format: "yaml"}}, nil
}

func (s bytesSource) Watch() (kconfig.Watcher, error) { return noWatch{done: make(chan struct{})}, nil }

type noWatch struct{ done chan struct{} }

// Next blocks until Stop; context.Canceled ends kratos's watch loop quietly.
func (w noWatch) Next() ([]*kconfig.KeyValue, error) { <-w.done; return nil, context.Canceled }
func (w noWatch) Stop() error {
	defer func() { _ = recover() }()
	close(w.done)
	return nil
}
