// Package transfer moves file contents between the local disk and the
// drive over gRPC: uploads in parallel chunks that resume and finish
// instantly with a proof of possession when the content is stored already,
// and downloads in parallel ranges that resume and are checked against the
// content hash. Memory is bounded by the workers' buffers, never a file.
package transfer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/progress"
)

// Defaults.
const (
	DefaultJobs = 4
	// MessageSize is the payload of one UploadChunks message: the API's
	// (storagev1.UploadMessageSize says why it is not larger).
	MessageSize = storagev1.UploadMessageSize
	// RangeSize is the length of one download range (a multiple of the
	// content hash's block, so each range hashes on its own).
	RangeSize = 8 << 20
	// maxRanges bounds the ranges of one download (and so its state file).
	maxRanges = 4096
)

// Stats count what went over the wire; safe for concurrent use.
type Stats struct {
	ChunksSent    atomic.Int64
	BytesSent     atomic.Int64
	InstantFiles  atomic.Int64
	RangesFetched atomic.Int64
	BytesReceived atomic.Int64
}

// Hooks are called as a transfer goes (tests interrupt with them). They are
// called from the workers, concurrently.
type Hooks struct {
	// AfterChunk runs once a chunk is acknowledged by the server.
	AfterChunk func(index int64)
	// AfterRange runs once a range is written and recorded.
	AfterRange func(index int64)
	// Hashed runs when the hash of a file sent at once is known, before it
	// is used (tests order the race of hashing and sending with it).
	Hashed func()
}

// Config is what a transfer needs.
type Config struct {
	Storage storagev1.StorageClient
	FS      *drivefs.FS
	// Do runs a call that opens a stream, again with a fresh token when the
	// first is refused (client.Session.Do); calls run as they are when nil.
	Do       func(ctx context.Context, call func(context.Context) error) error
	Jobs     int
	Reporter *progress.Reporter
	Stats    *Stats
	Hooks    Hooks
	// Attempts per call on transient errors (server restarting, busy), and
	// the first backoff (doubled each time).
	Attempts int
	Backoff  time.Duration
	// StateDir keeps a record of each unfinished upload begun without a
	// hash, by which the next run resumes it; "" keeps none.
	StateDir string
}

func (c *Config) jobs() int {
	if c.Jobs < 1 {
		return DefaultJobs
	}
	return c.Jobs
}

func (c *Config) stats() *Stats {
	if c.Stats == nil {
		c.Stats = &Stats{}
	}
	return c.Stats
}

func (c *Config) do(ctx context.Context, call func(context.Context) error) error {
	if c.Do == nil {
		return call(ctx)
	}
	return c.Do(ctx, call)
}

// transient errors are worth another try: the server is unreachable
// (restarting), busy (BLOB_BUSY is a 503) or rate limiting (429). A 409
// arrives as Aborted and is final.
func transient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted:
		return true
	}
	return false
}

// retry runs call until it succeeds, fails for good, or ctx ends.
func (c *Config) retry(ctx context.Context, call func(context.Context) error) error {
	attempts, backoff := c.Attempts, c.Backoff
	if attempts < 1 {
		attempts = 6
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	for i := 1; ; i++ {
		err := c.do(ctx, call)
		if err == nil || ctx.Err() != nil || !transient(err) || i >= attempts {
			if ctx.Err() != nil && err != nil {
				return ctx.Err()
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// pool runs work(i) for each item on n workers; the first error cancels the
// others and is returned.
func pool(ctx context.Context, n int, items []int64, work func(ctx context.Context, worker int, item int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan int64)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	n = max(1, min(n, len(items)))
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for it := range ch {
				if err := work(ctx, w, it); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}(w)
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
