package data

import (
	"context"
	"sync"
	"testing"
	"time"

	"clouddrive/app/user/internal/biz"
)

func TestOAuthLink(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewOAuthRepo(d)
		ctx := context.Background()
		steps := []struct {
			name    string
			do      func() error
			wantErr error
		}{
			{"link", func() error { return r.Link(ctx, 1, "github", "42", "octo") }, nil},
			{"same subject, other user", func() error { return r.Link(ctx, 2, "github", "42", "octo") }, biz.ErrDuplicate},
			{"same subject, other provider", func() error { return r.Link(ctx, 2, "gitlab", "42", "octo") }, nil},
			{"second identity of the same user", func() error { return r.Link(ctx, 1, "github", "43", "octo2") }, nil},
		}
		for _, st := range steps {
			wantErr(t, st.name, st.do(), st.wantErr)
		}
		finds := []struct {
			provider, subject string
			want              int64
			wantErr           error
		}{
			{"github", "42", 1, nil},
			{"gitlab", "42", 2, nil},
			{"github", "43", 1, nil},
			{"github", "44", 0, biz.ErrNotFound},
			{"bitbucket", "42", 0, biz.ErrNotFound},
		}
		for _, f := range finds {
			uid, err := r.FindLink(ctx, f.provider, f.subject)
			wantErr(t, "FindLink "+f.provider+"/"+f.subject, err, f.wantErr)
			if uid != f.want {
				t.Fatalf("FindLink(%s, %s) = %d, want %d", f.provider, f.subject, uid, f.want)
			}
		}
	})
}

func TestOAuthTicket(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewOAuthRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		for _, tk := range []struct {
			hash    string
			uid     int64
			expires time.Time
		}{
			{"fresh", 5, t0.Add(time.Minute)},
			{"expired", 6, t0.Add(-time.Second)},
			{"ends now", 7, t0},
		} {
			if err := r.CreateTicket(ctx, hash64(tk.hash), biz.Ticket{UserID: tk.uid}, tk.expires); err != nil {
				t.Fatalf("CreateTicket %s: %v", tk.hash, err)
			}
		}
		wantErr(t, "CreateTicket with a taken hash", r.CreateTicket(ctx, hash64("fresh"), biz.Ticket{UserID: 9}, t0.Add(time.Minute)), biz.ErrDuplicate)

		tests := []struct {
			name    string
			hash    string
			want    int64
			wantErr error
		}{
			{"first use", "fresh", 5, nil},
			{"second use", "fresh", 0, biz.ErrNotFound},
			{"expired", "expired", 0, biz.ErrNotFound},
			{"expires at this instant", "ends now", 0, biz.ErrNotFound},
			{"unknown", "unknown", 0, biz.ErrNotFound},
		}
		for _, tt := range tests {
			tk, err := r.ConsumeTicket(ctx, hash64(tt.hash), t0)
			wantErr(t, tt.name, err, tt.wantErr)
			var uid int64
			if tk != nil {
				uid = tk.UserID
			}
			if uid != tt.want {
				t.Fatalf("%s: ConsumeTicket = %d, want %d", tt.name, uid, tt.want)
			}
		}
	})
}

// Of many callbacks racing with one ticket, exactly one signs in.
// A pending link keeps the identity it will attach.
func TestOAuthLinkTicket(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewOAuthRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		id := &biz.Identity{Provider: "github", Subject: "42", Login: "octo"}
		if err := r.CreateTicket(ctx, hash64("link"), biz.Ticket{UserID: 3, Link: id}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		tk, err := r.ConsumeTicket(ctx, hash64("link"), t0)
		if err != nil || tk.UserID != 3 || tk.Link == nil || *tk.Link != *id {
			t.Fatalf("ConsumeTicket = %+v, %v; want a link of %+v for user 3", tk, err, id)
		}
	})
}

func TestOAuthTicketConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewOAuthRepo(d)
		t0 := dbNow()
		if err := r.CreateTicket(context.Background(), hash64("race"), biz.Ticket{UserID: 5}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			wins  int
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tk, err := r.ConsumeTicket(context.Background(), hash64("race"), t0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && tk.UserID == 5:
					wins++
				case err != nil && err != biz.ErrNotFound:
					t.Errorf("ConsumeTicket: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent ConsumeTicket calls won, want exactly 1", wins, n)
		}
	})
}
