// Package client is the CLI's connection to the drive: the saved
// credentials, the gRPC connection with the bearer token in its metadata,
// and the automatic refresh of an expired access token.
package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Credentials are what `drive login` saves.
type Credentials struct {
	Server       string    `json:"server"`
	TLS          bool      `json:"tls,omitempty"`
	Username     string    `json:"username"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// ErrNotLoggedIn is returned when no credentials are saved.
var ErrNotLoggedIn = errors.New("not logged in (run: drive login -u USER)")

// DefaultPath is $XDG_CONFIG_HOME/clouddrive/credentials.json, or
// ~/.config/clouddrive/credentials.json when XDG_CONFIG_HOME is unset.
func DefaultPath(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("no XDG_CONFIG_HOME nor home folder: %w", err)
			}
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "clouddrive", "credentials.json"), nil
}

// Store reads and writes the credentials file.
type Store struct{ Path string }

// Load reads the saved credentials; ErrNotLoggedIn when there are none.
func (s Store) Load() (*Credentials, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotLoggedIn
	}
	if err != nil {
		return nil, err
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.Path, err)
	}
	if c.RefreshToken == "" && c.AccessToken == "" {
		return nil, ErrNotLoggedIn
	}
	return &c, nil
}

// Save writes the credentials atomically, readable by the owner only.
func (s Store) Save(c *Credentials) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(s.Path), ".credentials-*.json")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.Path)
}

// Remove deletes the saved credentials (logout).
func (s Store) Remove() error {
	err := os.Remove(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
