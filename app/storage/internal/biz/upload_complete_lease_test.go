package biz

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"
)

// completeUntilPublish sets a complete's expectations up to publishing,
// with the first lease taken as of f.now, and Publish doing publish.
func (f *upFixture) completeUntilPublish(u *Upload, data []byte, publish func(ctx context.Context) error) {
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, f.now, leaseEnd(f.now)).Return(true, nil)
	f.release = f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
	f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(0, nil)
	f.uploads.EXPECT().Chunks(gomock.Any(), u.OwnerID, u.ID).Return(chunksOf(u, data), nil)
	f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
	f.store.EXPECT().Publish(gomock.Any(), u, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ *Upload, _ []*Chunk) error { return publish(ctx) })
}

// A completion that takes long (publishing a large upload) keeps its short
// lease by renewing it: each renewal is asked as of just after the lease's
// own end, so it holds only while the lease is still this completion's.
func TestCompleteRenewsItsLease(t *testing.T) {
	f := newUpFixture(t)
	f.uc.beat = 5 * time.Millisecond
	data := randomBytes(21, 3*BlockSize)
	u := f.open(data)
	end := leaseEnd(f.now)
	renewed := make(chan struct{}, 100)
	f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, end.Add(time.Millisecond), end).
		DoAndReturn(func(context.Context, int64, string, time.Time, time.Time) (bool, error) {
			renewed <- struct{}{}
			return true, nil
		}).MinTimes(3)
	failed := errors.New("publish failed")
	f.completeUntilPublish(u, data, func(ctx context.Context) error {
		for i := 0; i < 3; i++ { // three renewals while publishing
			<-renewed
		}
		return failed
	})
	if _, err := f.uc.Complete(f.ctx, u.OwnerID, u.ID); !errors.Is(err, failed) {
		t.Fatalf("Complete = %v, want the publish error", err)
	}
}

// A completion whose lease was taken over (it could not renew it) stops:
// another instance may be completing the same upload by then.
func TestCompleteStopsWhenItsLeaseIsLost(t *testing.T) {
	f := newUpFixture(t)
	f.uc.beat = 5 * time.Millisecond
	data := randomBytes(22, 3*BlockSize)
	u := f.open(data)
	end := leaseEnd(f.now)
	f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, end.Add(time.Millisecond), gomock.Any()).Return(false, nil)
	f.completeUntilPublish(u, data, func(ctx context.Context) error {
		<-ctx.Done() // publishing until cancelled
		return ctx.Err()
	})
	if _, err := f.uc.Complete(f.ctx, u.OwnerID, u.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("Complete = %v, want it cancelled", err)
	}
}
