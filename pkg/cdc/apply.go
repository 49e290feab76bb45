package cdc

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Change is one change from the stream as the cache takes it: the entry to
// put at its version (a row, or a tombstone) and the folders whose listing
// stamps move on with it.
type Change struct {
	Key     string
	Kind    string // KindRow or KindTomb
	Version int64
	Data    []byte
	Folders [][2]int64 // owner, parent
}

// Apply puts changes in their order, as Put and BumpStamps would one by one,
// in one pipeline: one round trip a batch instead of two a change, which is
// what lets the cache keep up with the database. Redis runs a pipeline's
// commands in order, so a key's changes land in the order given. Every
// write is Put's version-guarded compare-and-set, so applying a batch again
// after an error (part of it done) changes nothing but stamps, and a bumped
// stamp only means pages are loaded again.
func (c *Cache) Apply(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	err := c.apply(ctx, changes)
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		// A restarted (or flushed) Redis has lost the scripts: load them
		// and send the batch again.
		if err = casScript.Load(ctx, c.rdb).Err(); err == nil {
			if err = stampScript.Load(ctx, c.rdb).Err(); err == nil {
				err = c.apply(ctx, changes)
			}
		}
	}
	return err
}

func (c *Cache) apply(ctx context.Context, changes []Change) error {
	pipe := c.rdb.Pipeline()
	stampTTL := c.ttl.Stamp.Milliseconds()
	for _, ch := range changes {
		ttl, err := c.ttlOf(ch.Kind)
		if err != nil {
			return err
		}
		casScript.EvalSha(ctx, pipe, []string{ch.Key}, ch.Version, ch.Kind, ch.Data, 0, ttl.Milliseconds(), "c", "")
		for _, f := range ch.Folders {
			stampScript.EvalSha(ctx, pipe, []string{c.StampKey(f[0], f[1])}, newStamp(), stampTTL, 1)
		}
	}
	_, err := pipe.Exec(ctx)
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return err
}

// ttlOf is how long an entry of kind lives.
func (c *Cache) ttlOf(kind string) (time.Duration, error) {
	switch kind {
	case KindRow:
		return c.jitter(c.ttl.Row), nil
	case KindTomb:
		return c.ttl.Tomb, nil
	case KindMiss:
		return c.ttl.Miss, nil
	}
	return 0, errors.New("cdc: cannot put an entry of kind " + kind)
}
