package transfer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/contenthash"
)

func TestRangeSize(t *testing.T) {
	tests := []struct{ size, want int64 }{
		{0, RangeSize},
		{1, RangeSize},
		{1 << 30, RangeSize},
		{maxRanges * RangeSize, RangeSize},
		{maxRanges*RangeSize + 1, RangeSize + contenthash.BlockSize},
		{1 << 40, 256 << 20},
	}
	for _, tc := range tests {
		got := rangeSize(tc.size)
		if got != tc.want {
			t.Errorf("rangeSize(%d) = %d, want %d", tc.size, got, tc.want)
		}
		if got%contenthash.BlockSize != 0 || (tc.size+got-1)/got > maxRanges {
			t.Errorf("rangeSize(%d) = %d breaks the rules", tc.size, got)
		}
	}
}

func TestMime(t *testing.T) {
	for name, want := range map[string]string{"a.txt": "text/plain", "b.JPG": "image/jpeg", "c": "", "d.unknownext": ""} {
		if got := mimeOf(name); got != want {
			t.Errorf("mimeOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestTransient(t *testing.T) {
	if !transient(storagev1.ErrorBlobBusy("busy")) || !transient(commonv1.ErrorRateLimited("slow")) {
		t.Error("503 and 429 are worth another try")
	}
	if transient(filev1.ErrorNameConflict("taken")) || transient(storagev1.ErrorProofRejected("no")) || transient(errors.New("x")) {
		t.Error("409, 403 and local errors are final")
	}
}

func TestRetry(t *testing.T) {
	c := &Config{Backoff: time.Millisecond, Attempts: 3}
	var n atomic.Int64
	err := c.retry(context.Background(), func(context.Context) error {
		if n.Add(1) < 3 {
			return storagev1.ErrorBlobBusy("busy")
		}
		return nil
	})
	if err != nil || n.Load() != 3 {
		t.Errorf("retry: %v after %d", err, n.Load())
	}
	n.Store(0)
	err = c.retry(context.Background(), func(context.Context) error {
		n.Add(1)
		return storagev1.ErrorBlobBusy("busy")
	})
	if !storagev1.IsBlobBusy(err) || n.Load() != 3 {
		t.Errorf("gave up with %v after %d", err, n.Load())
	}
	n.Store(0)
	err = c.retry(context.Background(), func(context.Context) error {
		n.Add(1)
		return filev1.ErrorNameConflict("taken")
	})
	if !filev1.IsNameConflict(err) || n.Load() != 1 {
		t.Errorf("a final error was retried: %v after %d", err, n.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.retry(ctx, func(context.Context) error { return storagev1.ErrorBlobBusy("busy") }); !errors.Is(err, context.Canceled) {
		t.Errorf("retry after cancel: %v", err)
	}
	// Do wraps each try.
	var wrapped int
	c.Do = func(ctx context.Context, call func(context.Context) error) error { wrapped++; return call(ctx) }
	_ = c.retry(context.Background(), func(context.Context) error { return nil })
	if wrapped != 1 {
		t.Errorf("Do ran %d times", wrapped)
	}
}

func TestPool(t *testing.T) {
	items := make([]int64, 100)
	for i := range items {
		items[i] = int64(i)
	}
	var sum atomic.Int64
	var maxWorker atomic.Int64
	err := pool(context.Background(), 4, items, func(_ context.Context, w int, i int64) error {
		sum.Add(i)
		for {
			m := maxWorker.Load()
			if int64(w) <= m || maxWorker.CompareAndSwap(m, int64(w)) {
				break
			}
		}
		return nil
	})
	if err != nil || sum.Load() != 4950 || maxWorker.Load() > 3 {
		t.Errorf("pool: %v, sum %d, worker %d", err, sum.Load(), maxWorker.Load())
	}
	boom := errors.New("boom")
	var ran atomic.Int64
	err = pool(context.Background(), 2, items, func(ctx context.Context, _ int, i int64) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) || ran.Load() == 100 {
		t.Errorf("the first error stops the pool: %v, %d ran", err, ran.Load())
	}
	if err := pool(context.Background(), 4, nil, func(context.Context, int, int64) error { return boom }); err != nil {
		t.Errorf("no items: %v", err)
	}
}
