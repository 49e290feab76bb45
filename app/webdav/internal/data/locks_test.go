package data_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"clouddrive/app/webdav/internal/biz"
	"clouddrive/app/webdav/internal/data"
	"clouddrive/pkg/testkit"
)

// twoInstances returns the lock systems of two WebDAV instances: over one
// Redis (two clients, as two processes would have), or, standalone, over
// one process's memory.
func twoInstances(t *testing.T, store string) (*biz.LockUsecase, *biz.LockUsecase) {
	if store == "memory" {
		repo := data.NewLockRepo(&data.Data{})
		return biz.NewLockUsecase(repo), biz.NewLockUsecase(repo)
	}
	addr, prefix := testkit.Redis(t)
	d1, c1 := data.NewData(addr, "", 0, prefix)
	d2, c2 := data.NewData(addr, "", 0, prefix)
	t.Cleanup(c1)
	t.Cleanup(c2)
	return biz.NewLockUsecase(data.NewLockRepo(d1)), biz.NewLockUsecase(data.NewLockRepo(d2))
}

// A lock taken through one instance holds on the other: conflicts, the
// token confirms there, refresh and unlock work from either side.
func TestLocksAcrossInstances(t *testing.T) {
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			a, b := twoInstances(t, store)
			ctx, now, owner := context.Background(), time.Now(), int64(7)
			tok, err := a.Create(ctx, owner, now, biz.Lock{Root: "/docs", Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				root string
				zero bool
				want error
			}{
				{"/docs", true, biz.ErrLocked},       // the same path
				{"/docs/a.txt", true, biz.ErrLocked}, // under a depth-infinity lock
				{"/", false, biz.ErrLocked},          // a depth-infinity lock above it
				{"/", true, nil},                     // depth 0 above it
				{"/docsx", false, nil},               // a sibling sharing a prefix
				{"/other/docs", false, nil},          // elsewhere
			} {
				_, err := b.Create(ctx, owner, now, biz.Lock{Root: tc.root, ZeroDepth: tc.zero, Duration: time.Minute})
				if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
					t.Errorf("lock %s (zero depth %v) on the other instance: %v, want %v", tc.root, tc.zero, err, tc.want)
				}
			}
			// Shared locks coexist with each other, never with an exclusive one.
			s1, err := a.Create(ctx, owner, now, biz.Lock{Root: "/shared", Shared: true, Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Create(ctx, owner, now, biz.Lock{Root: "/shared", Shared: true, Duration: time.Hour}); err != nil {
				t.Errorf("a second shared lock: %v", err)
			}
			if _, err := b.Create(ctx, owner, now, biz.Lock{Root: "/shared", ZeroDepth: true, Duration: time.Hour}); !errors.Is(err, biz.ErrLocked) {
				t.Errorf("an exclusive lock over shared ones: %v, want locked", err)
			}
			if _, err := b.Create(ctx, owner, now, biz.Lock{Root: "/docs/x", Shared: true, Duration: time.Hour}); !errors.Is(err, biz.ErrLocked) {
				t.Errorf("a shared lock under an exclusive one: %v, want locked", err)
			}
			if err := b.Confirm(ctx, owner, now, "/shared", "", biz.LockCondition{Token: s1}); err != nil {
				t.Errorf("confirm with a shared lock's token: %v", err)
			}
			// Another user's tree is another lock space.
			if _, err := b.Create(ctx, owner+1, now, biz.Lock{Root: "/docs", Duration: time.Minute}); err != nil {
				t.Errorf("another owner's /docs: %v", err)
			}
			if err := b.Confirm(ctx, owner, now, "/docs/a.txt", "", biz.LockCondition{Token: tok}); err != nil {
				t.Errorf("confirm with the token on the other instance: %v", err)
			}
			if err := b.Confirm(ctx, owner, now, "/docs/a.txt", "", biz.LockCondition{Token: tok, Not: true}); !errors.Is(err, biz.ErrConfirmationFailed) {
				t.Errorf("confirm with Not <token>: %v, want a failure", err)
			}
			if err := b.Confirm(ctx, owner+1, now, "/docs", "", biz.LockCondition{Token: tok}); !errors.Is(err, biz.ErrConfirmationFailed) {
				t.Errorf("another owner confirmed with this owner's token: %v", err)
			}
			if _, err := b.Refresh(ctx, owner, now, tok, 2*time.Hour); err != nil {
				t.Errorf("refresh on the other instance: %v", err)
			}
			if err := b.Unlock(ctx, owner, now, tok); err != nil {
				t.Fatalf("unlock on the other instance: %v", err)
			}
			if err := a.Unlock(ctx, owner, now, tok); !errors.Is(err, biz.ErrNoSuchLock) {
				t.Errorf("unlock twice: %v, want no such lock", err)
			}
			if _, err := a.Create(ctx, owner, now, biz.Lock{Root: "/docs", Duration: time.Hour}); err != nil {
				t.Errorf("lock after unlock: %v", err)
			}
			// An expired lock is gone.
			later := now.Add(3 * time.Hour)
			if _, err := b.Create(ctx, owner, later, biz.Lock{Root: "/docs", Duration: time.Hour}); err != nil {
				t.Errorf("lock after the old one expired: %v", err)
			}
		})
	}
}

// Instances racing for one path: exactly one gets the lock.
func TestLocksRaceAcrossInstances(t *testing.T) {
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			a, b := twoInstances(t, store)
			ctx, now := context.Background(), time.Now()
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, locked := 0, 0
			for i := 0; i < 20; i++ {
				uc := a
				if i%2 == 1 {
					uc = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := uc.Create(ctx, 9, now, biz.Lock{Root: "/race.txt", ZeroDepth: true, Duration: time.Minute})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won++
					case errors.Is(err, biz.ErrLocked):
						locked++
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if won != 1 || locked != 19 {
				t.Fatalf("%d instances got the lock and %d were refused, want 1 and 19", won, locked)
			}
		})
	}
}

// Dead properties follow the node id, per owner, in either store.
func TestPropsPerOwnerAndNode(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	d, cleanup := data.NewData(addr, "", 0, prefix)
	t.Cleanup(cleanup)
	for name, repo := range map[string]biz.PropRepo{"memory": data.NewPropRepo(&data.Data{}), "redis": data.NewPropRepo(d)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := []biz.Prop{{Space: "urn:x", Local: "colour", InnerXML: []byte("blue")}}
			if err := repo.Set(ctx, 1, 10, p); err != nil {
				t.Fatal(err)
			}
			got, err := repo.Get(ctx, 1, 10)
			if err != nil || len(got) != 1 || string(got[0].InnerXML) != "blue" {
				t.Fatalf("get: %v %v", got, err)
			}
			if other, _ := repo.Get(ctx, 2, 10); len(other) != 0 {
				t.Fatalf("another owner sees %v", other)
			}
			if err := repo.Set(ctx, 1, 10, nil); err != nil {
				t.Fatal(err)
			}
			if got, _ := repo.Get(ctx, 1, 10); len(got) != 0 {
				t.Fatalf("after removing all: %v", got)
			}
		})
	}
}
