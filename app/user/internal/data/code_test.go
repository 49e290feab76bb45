package data

import (
	"context"
	"testing"
	"time"

	"clouddrive/app/user/internal/biz"
)

func mustCreateCode(t *testing.T, r biz.CodeRepo, target, hash string, at time.Time) *biz.LoginCode {
	t.Helper()
	c := &biz.LoginCode{Target: target, Hash: hash64(hash), ExpiresAt: at.Add(10 * time.Minute), CreatedAt: at}
	if err := r.Create(context.Background(), c); err != nil {
		t.Fatalf("Create code %s: %v", hash, err)
	}
	if c.ID <= 0 {
		t.Fatalf("Create code %s left no id", hash)
	}
	return c
}

func TestCodeCreateVoidsOlder(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewCodeRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		if _, err := r.Latest(ctx, "a@x.io"); err != biz.ErrNotFound {
			t.Fatalf("Latest before any code: %v, want ErrNotFound", err)
		}
		c1 := mustCreateCode(t, r, "a@x.io", "c1", t0)
		other := mustCreateCode(t, r, "b@x.io", "o1", t0)

		got, err := r.Latest(ctx, "a@x.io")
		if err != nil || got.ID != c1.ID || got.Hash != c1.Hash || got.Target != "a@x.io" || got.Attempts != 0 {
			t.Fatalf("Latest = %+v, %v; want c1", got, err)
		}
		sameInstant(t, "expiry", got.ExpiresAt, c1.ExpiresAt)

		c2 := mustCreateCode(t, r, "a@x.io", "c2", t0.Add(time.Minute))
		if got, err := r.Latest(ctx, "a@x.io"); err != nil || got.ID != c2.ID {
			t.Fatalf("Latest after a second code = %+v, %v; want c2", got, err)
		}
		// c1 was voided: it cannot be consumed any more.
		if ok, err := r.Consume(ctx, c1.ID); err != nil || ok {
			t.Fatalf("Consume(voided c1) = %v, %v; want false", ok, err)
		}
		// Another target's code is untouched.
		if got, err := r.Latest(ctx, "b@x.io"); err != nil || got.ID != other.ID {
			t.Fatalf("Latest of the other target = %+v, %v", got, err)
		}

		// A third code also deletes the consumed rows of the target.
		c3 := mustCreateCode(t, r, "a@x.io", "c3", t0.Add(2*time.Minute))
		var ids []int64
		if err := d.DB.Model(&loginCodeModel{}).Where("target = ?", "a@x.io").Order("id").Pluck("id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 || ids[0] != c2.ID || ids[1] != c3.ID {
			t.Fatalf("rows of the target = %v, want c2 (voided) and c3 only", ids)
		}
	})
}

func TestCodeAttemptAndConsume(t *testing.T) {
	const max = 3
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewCodeRepo(d)
		ctx := context.Background()
		c := mustCreateCode(t, r, "+15550001", "c", dbNow())
		steps := []struct {
			name string
			do   func() (bool, error)
			want bool
		}{
			{"attempt 1", func() (bool, error) { return r.Attempt(ctx, c.ID, max) }, true},
			{"attempt 2", func() (bool, error) { return r.Attempt(ctx, c.ID, max) }, true},
			{"attempt 3", func() (bool, error) { return r.Attempt(ctx, c.ID, max) }, true},
			{"attempt 4 is over the max", func() (bool, error) { return r.Attempt(ctx, c.ID, max) }, false},
			{"attempt 5 too", func() (bool, error) { return r.Attempt(ctx, c.ID, max) }, false},
			{"attempt on an absent code", func() (bool, error) { return r.Attempt(ctx, c.ID+1000, max) }, false},
			{"consume", func() (bool, error) { return r.Consume(ctx, c.ID) }, true},
			{"consume again", func() (bool, error) { return r.Consume(ctx, c.ID) }, false},
			{"consume an absent code", func() (bool, error) { return r.Consume(ctx, c.ID+1000) }, false},
		}
		for i, st := range steps {
			if i == 5 {
				got, err := r.Latest(ctx, "+15550001")
				if err != nil || got.Attempts != max {
					t.Fatalf("Latest after the attempts = %+v, %v; want %d attempts", got, err, max)
				}
			}
			ok, err := st.do()
			if err != nil || ok != st.want {
				t.Fatalf("%s = %v, %v; want %v", st.name, ok, err, st.want)
			}
		}
		if _, err := r.Latest(ctx, "+15550001"); err != biz.ErrNotFound {
			t.Fatalf("Latest after Consume: %v, want ErrNotFound", err)
		}
	})
}
