package data

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
)

// ThumbCache keeps rendered thumbnails as files named by content hash and
// size. Each is written to a temporary file and renamed into place, so
// readers (other requests, other instances sharing the folder) see a whole
// thumbnail or none.
type ThumbCache struct {
	root string
}

var _ biz.ThumbCache = (*ThumbCache)(nil)

// NewThumbCache keeps thumbnails under the configured folder.
func NewThumbCache(c *conf.Thumbnail) (*ThumbCache, error) {
	root := c.GetCacheDir()
	if root == "" {
		return nil, errors.New("thumbnail cache: no cache_dir")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	return &ThumbCache{root: root}, nil
}

// path spreads entries over folders by the hash's first bytes; a key is a
// hex hash and a size, never a user's name, but it is checked anyway.
func (c *ThumbCache) path(key string) (string, error) {
	if len(key) < 5 || strings.ContainsAny(key, `/\.`) {
		return "", errors.New("thumbnail cache: bad key")
	}
	return filepath.Join(c.root, key[:2], key[2:4], key), nil
}

// Get implements biz.ThumbCache.
func (c *ThumbCache) Get(_ context.Context, key string) ([]byte, error) {
	p, err := c.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, biz.ErrNotFound
	}
	return b, err
}

// Put implements biz.ThumbCache.
func (c *ThumbCache) Put(_ context.Context, key string, b []byte) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
