package data

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"clouddrive/app/user/internal/biz"
)

// hash64 is a stand-in for a SHA-256 hex digest (the columns are char(64)).
func hash64(s string) string { return fmt.Sprintf("%064s", s) }

func newSession(id string, uid int64, at time.Time, ttl time.Duration) (*biz.Session, *biz.RefreshToken) {
	s := &biz.Session{ID: id, UserID: uid, UserAgent: "ua-" + id, IP: "10.0.0.1", CreatedAt: at, LastUsedAt: at, ExpiresAt: at.Add(ttl)}
	return s, &biz.RefreshToken{Hash: hash64("t-" + id), SessionID: id, UserID: uid, ExpiresAt: at.Add(ttl)}
}

func mustCreateSession(t *testing.T, r biz.SessionRepo, id string, uid int64, at time.Time, ttl time.Duration) *biz.RefreshToken {
	t.Helper()
	s, rt := newSession(id, uid, at, ttl)
	if err := r.Create(context.Background(), s, rt); err != nil {
		t.Fatalf("Create session %s: %v", id, err)
	}
	return rt
}

func sessionIDs(ss []*biz.Session) string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	return strings.Join(ids, ",")
}

func TestSessionCreateFindUse(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewSessionRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		rt := mustCreateSession(t, r, "s1", 7, t0, time.Hour)

		tok, s, err := r.FindToken(ctx, rt.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Hash != rt.Hash || tok.SessionID != "s1" || tok.UserID != 7 || tok.Used {
			t.Fatalf("token = %+v", tok)
		}
		sameInstant(t, "token expiry", tok.ExpiresAt, t0.Add(time.Hour))
		if s.ID != "s1" || s.UserID != 7 || s.UserAgent != "ua-s1" || s.IP != "10.0.0.1" || s.Revoked {
			t.Fatalf("session = %+v", s)
		}
		sameInstant(t, "session expiry", s.ExpiresAt, t0.Add(time.Hour))
		sameInstant(t, "session last use", s.LastUsedAt, t0)

		dup, dupTok := newSession("s1", 7, t0, time.Hour)
		dupTok.Hash = hash64("other")
		wantErr(t, "Create with a taken session id", r.Create(ctx, dup, dupTok), biz.ErrDuplicate)
		s2, sameTok := newSession("s2", 7, t0, time.Hour)
		sameTok.Hash = rt.Hash
		wantErr(t, "Create with a taken token", r.Create(ctx, s2, sameTok), biz.ErrDuplicate)
		// The refused session left nothing behind.
		if got, err := r.List(ctx, 7, t0); err != nil || sessionIDs(got) != "s1" {
			t.Fatalf("List after refused creates = %q, %v", sessionIDs(got), err)
		}

		steps := []struct {
			name string
			hash string
			want bool
		}{
			{"first use", rt.Hash, true},
			{"second use", rt.Hash, false},
			{"third use", rt.Hash, false},
			{"unknown token", hash64("nope"), false},
		}
		for _, st := range steps {
			ok, err := r.UseToken(ctx, st.hash, t0.Add(time.Minute))
			if err != nil || ok != st.want {
				t.Fatalf("%s: UseToken = %v, %v; want %v", st.name, ok, err, st.want)
			}
		}
		if tok, _, err := r.FindToken(ctx, rt.Hash); err != nil || !tok.Used {
			t.Fatalf("FindToken after use = %+v, %v; want Used", tok, err)
		}
		if _, _, err := r.FindToken(ctx, hash64("nope")); err != biz.ErrNotFound {
			t.Fatalf("FindToken(unknown) error = %v, want ErrNotFound", err)
		}

		// Rotation: the next token of the same session.
		t1 := t0.Add(2 * time.Minute)
		next := &biz.RefreshToken{Hash: hash64("t-s1-2"), SessionID: "s1", UserID: 7, ExpiresAt: t1.Add(time.Hour)}
		if err := r.AddToken(ctx, next, t1); err != nil {
			t.Fatal(err)
		}
		tok, s, err = r.FindToken(ctx, next.Hash)
		if err != nil || tok.Used || tok.SessionID != "s1" {
			t.Fatalf("FindToken(next) = %+v, %v", tok, err)
		}
		sameInstant(t, "last use after AddToken", s.LastUsedAt, t1)
		wantErr(t, "AddToken with a taken hash", r.AddToken(ctx, next, t1), biz.ErrDuplicate)
	})
}

func TestSessionRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewSessionRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		rt := mustCreateSession(t, r, "a1", 1, t0, time.Hour)
		mustCreateSession(t, r, "b1", 2, t0, time.Hour)
		tests := []struct {
			name    string
			uid     int64
			sid     string
			wantErr error
		}{
			{"another user's session", 2, "a1", biz.ErrNotFound},
			{"absent session", 1, "zz", biz.ErrNotFound},
			{"own session", 1, "a1", nil},
			{"already revoked", 1, "a1", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "Revoke", r.Revoke(ctx, tt.uid, tt.sid), tt.wantErr)
			})
		}
		if _, s, err := r.FindToken(ctx, rt.Hash); err != nil || !s.Revoked {
			t.Fatalf("session after Revoke = %+v, %v; want revoked", s, err)
		}
		if got, err := r.List(ctx, 2, t0); err != nil || sessionIDs(got) != "b1" {
			t.Fatalf("the other user's sessions = %q, %v", sessionIDs(got), err)
		}
	})
}

func TestSessionRevokeAllAndList(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewSessionRepo(d)
		ctx := context.Background()
		t0 := dbNow()
		// User 1: s1 oldest use, s3 newest; s5 revoked already. User 4 has
		// one expired session.
		mustCreateSession(t, r, "s1", 1, t0.Add(-3*time.Minute), time.Hour)
		mustCreateSession(t, r, "s2", 1, t0.Add(-2*time.Minute), time.Hour)
		mustCreateSession(t, r, "s3", 1, t0.Add(-1*time.Minute), time.Hour)
		mustCreateSession(t, r, "s5", 1, t0, time.Hour)
		mustCreateSession(t, r, "e1", 4, t0.Add(-2*time.Hour), time.Hour)
		mustCreateSession(t, r, "o1", 9, t0, time.Hour)
		if err := r.Revoke(ctx, 1, "s5"); err != nil {
			t.Fatal(err)
		}

		got, err := r.List(ctx, 1, t0)
		if err != nil {
			t.Fatal(err)
		}
		if ids := sessionIDs(got); ids != "s3,s2,s1" {
			t.Fatalf("List = %q, want newest use first, without the revoked one", ids)
		}
		if got, err := r.List(ctx, 4, t0); err != nil || len(got) != 0 {
			t.Fatalf("List of expired sessions = %q, %v; want none", sessionIDs(got), err)
		}
		// An expiry exactly now is over.
		if got, _ := r.List(ctx, 1, t0.Add(time.Hour-time.Minute)); sessionIDs(got) != "" {
			t.Fatalf("List at s3's expiry = %q, want none", sessionIDs(got))
		}

		tests := []struct {
			name   string
			uid    int64
			except string
			want   int64
			left   string
		}{
			{"all but the current one", 1, "s2", 2, "s2"},
			{"again: nothing left to revoke", 1, "s2", 0, "s2"},
			{"a user without sessions", 3, "", 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, err := r.RevokeAll(ctx, tt.uid, tt.except)
				if err != nil || n != tt.want {
					t.Fatalf("RevokeAll = %d, %v; want %d", n, err, tt.want)
				}
				got, err := r.List(ctx, tt.uid, t0)
				if err != nil || sessionIDs(got) != tt.left {
					t.Fatalf("List after = %q, %v; want %q", sessionIDs(got), err, tt.left)
				}
			})
		}
		if got, err := r.List(ctx, 9, t0); err != nil || sessionIDs(got) != "o1" {
			t.Fatalf("another user's sessions after RevokeAll = %q, %v", sessionIDs(got), err)
		}
		if n, err := r.RevokeAll(ctx, 1, ""); err != nil || n != 1 {
			t.Fatalf("RevokeAll without exception = %d, %v; want 1", n, err)
		}
	})
}

// RevokeAll revokes "every live session" (biz.SessionRepo) and its count is
// what ChangePassword reports; sessions that expired on their own are not
// signed out by it.
func TestSessionRevokeAllCountsLiveOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewSessionRepo(d)
		t0 := dbNow()
		mustCreateSession(t, r, "live", 1, t0, time.Hour)
		mustCreateSession(t, r, "gone", 1, t0.Add(-2*time.Hour), time.Hour)
		if n, err := r.RevokeAll(context.Background(), 1, ""); err != nil || n != 1 {
			t.Fatalf("RevokeAll = %d, %v; want 1 (the live session)", n, err)
		}
	})
}

// Of many refreshes racing with one token, exactly one may win.
func TestSessionUseTokenConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewSessionRepo(d)
		rt := mustCreateSession(t, r, "race", 1, dbNow(), time.Hour)
		const n = 20
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			wins  int
			errs  []string
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := r.UseToken(context.Background(), rt.Hash, dbNow())
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err.Error())
				}
				if ok {
					wins++
				}
			}()
		}
		close(start)
		wg.Wait()
		sort.Strings(errs)
		if len(errs) > 0 {
			t.Fatalf("%d UseToken calls failed: %v", len(errs), errs)
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent UseToken calls won, want exactly 1", wins, n)
		}
	})
}
