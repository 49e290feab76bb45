// Package config loads a service's configuration: the defaults embedded from
// its configs/config.yaml, overlaid by a file when one is given, then by
// Nacos when an address is configured (nacos.addr, or NACOS_ADDR), then by
// the environment (CLOUDDRIVE__AUTH__INTERNAL_SECRET=... sets
// auth.internal_secret), so secrets need not sit in files. It is the one
// place that reads the environment.
package config

import (
	"context"
	"fmt"
	"os"
	"strings"

	kconfig "github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/config/file"
	"google.golang.org/protobuf/proto"
)

// Source is a service's loaded configuration, kept open so that watched
// keys (rate limits, log level) change live when Nacos changes them.
type Source struct {
	c kconfig.Config
}

// Open loads defaults, the file or folder at path (when not empty), Nacos
// (when configured) and the environment; later sources win key by key.
// service names the Nacos data id (<service>.yaml) unless configured.
func Open(service string, defaults []byte, path string) (*Source, error) {
	base := []kconfig.Source{bytesSource{name: "defaults.yaml", data: defaults}}
	if path != "" {
		base = append(base, file.NewSource(path))
	}
	env := envSource{environ: os.Environ()}
	n, err := nacosSettings(service, append(base, env), os.Getenv)
	if err != nil {
		return nil, err
	}
	sources := base
	if n.Addr != "" {
		src, err := nacosSource(n)
		if err != nil {
			return nil, err
		}
		sources = append(sources, src)
	}
	c := kconfig.New(kconfig.WithSource(append(sources, env)...))
	if err := c.Load(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("config: %w", err)
	}
	return &Source{c: c}, nil
}

// Scan fills into from the merged configuration.
func (s *Source) Scan(into proto.Message) error {
	if err := s.c.Scan(into); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Watch calls fn with the new value of key each time a source changes it.
func (s *Source) Watch(key string, fn func(kconfig.Value)) error {
	return s.c.Watch(key, func(_ string, v kconfig.Value) { fn(v) })
}

// Value is the current value of key ("rate_limit.per_client").
func (s *Source) Value(key string) kconfig.Value { return s.c.Value(key) }

// Close stops watching.
func (s *Source) Close() error { return s.c.Close() }

// Load fills into from defaults, the file at path, Nacos and the
// environment, once (no watching).
func Load(into proto.Message, defaults []byte, path string) error {
	s, err := Open("", defaults, path)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Scan(into)
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

// envPrefix starts the variables that set configuration keys; "__"
// separates levels: CLOUDDRIVE__DATA__REDIS__PASSWORD is data.redis.password.
const envPrefix = "CLOUDDRIVE__"

// envSource turns CLOUDDRIVE__* variables into one nested JSON document.
type envSource struct{ environ []string }

func (s envSource) Load() ([]*kconfig.KeyValue, error) {
	root := map[string]any{}
	for _, kv := range s.environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, envPrefix) {
			continue
		}
		path := strings.Split(strings.ToLower(strings.TrimPrefix(k, envPrefix)), "__")
		m := root
		for _, p := range path[:len(path)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[path[len(path)-1]] = v
	}
	data, err := jsonMarshal(root)
	if err != nil {
		return nil, err
	}
	return []*kconfig.KeyValue{{Key: "environment", Value: data, Format: "json"}}, nil
}

func (s envSource) Watch() (kconfig.Watcher, error) { return noWatch{done: make(chan struct{})}, nil }
