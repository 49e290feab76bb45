package data

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/proto"

	confv1 "clouddrive/api/conf/v1"
	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/events"
	"clouddrive/pkg/testkit"
)

// backends are MariaDB (skipped under -short) and SQLite.
var backends = []struct {
	name   string
	source func(t testing.TB) string
}{
	{"mysql", testkit.MySQL},
	{"sqlite", testkit.SQLite},
}

// eachBackend runs fn once per database, each on fresh, migrated tables.
func eachBackend(t *testing.T, fn func(t *testing.T, d *Data)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			d, cleanup, err := NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: b.name, Source: b.source(t)}},
				log.NewStdLogger(io.Discard))
			if err != nil {
				t.Fatalf("NewData(%s): %v", b.name, err)
			}
			t.Cleanup(cleanup)
			fn(t, d)
		})
	}
}

const (
	alice int64 = 101
	bob   int64 = 202
	carol int64 = 303
)

// dbNow is a UTC instant both databases store exactly (MySQL keeps milliseconds).
func dbNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func newShare(t *testing.T, r biz.ShareRepo, owner int64, token string, mod func(s *biz.Share)) *biz.Share {
	t.Helper()
	s := &biz.Share{Token: token, OwnerID: owner, NodeID: 10, Name: "photos", Folder: true, Size: 5}
	if mod != nil {
		mod(s)
	}
	if err := r.Create(context.Background(), s); err != nil {
		t.Fatalf("Create %s: %v", token, err)
	}
	return s
}

func TestMigrateTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		if err := Migrate(d.DB); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	})
}

func TestCreateAndRead(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		exp := dbNow().Add(time.Hour)
		s := newShare(t, r, alice, "Tok_A-1", func(s *biz.Share) {
			s.CodeHash, s.CodeSealed = []byte{0, 1, 2, 255}, []byte("sealed\x00bytes")
			s.ExpiresAt, s.MaxDownloads, s.RecipientID, s.RecipientName = &exp, 3, bob, "bob"
		})
		if s.ID == 0 || s.CreatedAt.IsZero() {
			t.Fatalf("Create did not set the id or time: %+v", s)
		}
		got, err := r.ByToken(ctx, "Tok_A-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != s.ID || got.OwnerID != alice || string(got.CodeHash) != "\x00\x01\x02\xff" ||
			string(got.CodeSealed) != "sealed\x00bytes" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) ||
			got.MaxDownloads != 3 || got.RecipientID != bob || got.RecipientName != "bob" || !got.Folder ||
			got.RevokedAt != nil || got.LockedUntil != nil {
			t.Fatalf("read back %+v", got)
		}
		// Tokens are base64url: case matters, on MySQL too.
		if _, err := r.ByToken(ctx, "tok_a-1"); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("ByToken with other case: %v, want ErrNotFound", err)
		}
		if err := r.Create(ctx, &biz.Share{Token: "Tok_A-1", OwnerID: bob, Name: "x"}); !errors.Is(err, biz.ErrDuplicate) {
			t.Fatalf("duplicate token: %v", err)
		}
	})
}

func TestListsAreTheOwnersAndRecipients(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		a1 := newShare(t, r, alice, "a1", func(s *biz.Share) { s.RecipientID = bob })
		newShare(t, r, bob, "b1", func(s *biz.Share) { s.RecipientID = alice })
		a2 := newShare(t, r, alice, "a2", nil)
		a3 := newShare(t, r, alice, "a3", func(s *biz.Share) { s.RecipientID = bob })
		newShare(t, r, carol, "c1", func(s *biz.Share) { s.RecipientID = bob })

		mine, err := r.ListByOwner(ctx, alice, 0, 2)
		if err != nil || len(mine) != 2 || mine[0].ID != a3.ID || mine[1].ID != a2.ID {
			t.Fatalf("first page %v, %v", tokens(mine), err)
		}
		rest, err := r.ListByOwner(ctx, alice, a2.ID, 2)
		if err != nil || len(rest) != 1 || rest[0].ID != a1.ID {
			t.Fatalf("second page %v, %v", tokens(rest), err)
		}
		if _, _, err := r.Revoke(ctx, alice, "a3", dbNow()); err != nil {
			t.Fatal(err)
		}
		got, err := r.ListByRecipient(ctx, bob, 0, 10)
		if err != nil || len(got) != 2 || got[0].Token != "c1" || got[1].Token != "a1" {
			t.Fatalf("bob received %v, %v (a3 is revoked)", tokens(got), err)
		}
		if got, _ := r.ListByRecipient(ctx, 0, 0, 10); len(got) != 0 {
			t.Fatalf("recipient 0 lists %v", tokens(got))
		}
	})
}

func tokens(ss []*biz.Share) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Token
	}
	return out
}

func TestRevokeIsTheOwnersOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		newShare(t, r, alice, "a1", nil)
		if _, _, err := r.Revoke(ctx, bob, "a1", dbNow()); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("bob revoking alice's share: %v", err)
		}
		if s, _ := r.ByToken(ctx, "a1"); s.RevokedAt != nil {
			t.Fatal("bob revoked alice's share")
		}
		at := dbNow()
		s, changed, err := r.Revoke(ctx, alice, "a1", at)
		if err != nil || !changed || s.RevokedAt == nil || !s.RevokedAt.Equal(at) {
			t.Fatalf("revoke: %+v, %v, %v", s, changed, err)
		}
		if _, changed, err := r.Revoke(ctx, alice, "a1", at.Add(time.Second)); err != nil || changed {
			t.Fatalf("second revoke: %v, %v", changed, err)
		}
	})
}

// TestTakeDownloadNeverOvershoots: concurrent downloads of a share with a
// limit of 5 take exactly 5.
func TestTakeDownloadNeverOvershoots(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		s := newShare(t, r, alice, "a1", func(s *biz.Share) { s.MaxDownloads = 5 })
		var mu sync.Mutex
		taken := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := r.TakeDownload(ctx, s.ID)
				if err != nil {
					t.Errorf("TakeDownload: %v", err)
				}
				if ok {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		got, _ := r.ByToken(ctx, "a1")
		if taken != 5 || got.Downloads != 5 {
			t.Fatalf("taken %d, downloads %d; want 5", taken, got.Downloads)
		}
		unlimited := newShare(t, r, alice, "a2", nil)
		for range 3 {
			if ok, err := r.TakeDownload(ctx, unlimited.ID); !ok || err != nil {
				t.Fatalf("unlimited: %v, %v", ok, err)
			}
		}
		revoked := newShare(t, r, alice, "a3", nil)
		_, _, _ = r.Revoke(ctx, alice, "a3", dbNow())
		if ok, err := r.TakeDownload(ctx, revoked.ID); ok || err != nil {
			t.Fatalf("revoked share: %v, %v", ok, err)
		}
	})
}

func TestCounters(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		s := newShare(t, r, alice, "a1", nil)
		for range 3 {
			if err := r.AddView(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.AddSave(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := r.ByToken(ctx, "a1")
		if got.Views != 3 || got.Saves != 1 || got.Downloads != 0 {
			t.Fatalf("counters %+v", got)
		}
	})
}

// TestCodeFailuresLock: the 10th wrong code in a row locks the share and
// restarts the count; concurrent failures are all counted.
func TestCodeFailuresLock(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r := NewShareRepo(d)
		s := newShare(t, r, alice, "a1", nil)
		until := dbNow().Add(15 * time.Minute)
		for range 9 {
			if err := r.CodeFailed(ctx, s.ID, 10, until); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := r.ByToken(ctx, "a1")
		if got.CodeFailures != 9 || got.LockedUntil != nil {
			t.Fatalf("after 9: failures %d, locked %v", got.CodeFailures, got.LockedUntil)
		}
		if err := r.CodeFailed(ctx, s.ID, 10, until); err != nil {
			t.Fatal(err)
		}
		got, _ = r.ByToken(ctx, "a1")
		if got.CodeFailures != 0 || got.LockedUntil == nil || !got.LockedUntil.Equal(until) {
			t.Fatalf("after 10: failures %d, locked %v, want %v", got.CodeFailures, got.LockedUntil, until)
		}

		other := newShare(t, r, alice, "a2", nil)
		var wg sync.WaitGroup
		for range 7 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.CodeFailed(ctx, other.ID, 10, until); err != nil {
					t.Errorf("CodeFailed: %v", err)
				}
			}()
		}
		wg.Wait()
		got, _ = r.ByToken(ctx, "a2")
		if got.CodeFailures != 7 {
			t.Fatalf("7 concurrent failures counted as %d", got.CodeFailures)
		}
		if err := r.CodeSucceeded(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ = r.ByToken(ctx, "a2"); got.CodeFailures != 0 {
			t.Fatalf("after a right code: %d", got.CodeFailures)
		}
		if got, _ = r.ByToken(ctx, "a1"); got.LockedUntil == nil {
			t.Fatal("another share's lock was lifted")
		}
	})
}

// TestOutboxInTheSameTransaction: a share and its event commit together or
// not at all.
func TestOutboxInTheSameTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		ctx := context.Background()
		r, o, tx := NewShareRepo(d), NewOutboxRepo(d), NewTransaction(d)
		boom := errors.New("boom")
		err := tx.InTx(ctx, func(ctx context.Context) error {
			s := &biz.Share{Token: "rolled-back", OwnerID: alice, Name: "x"}
			if err := r.Create(ctx, s); err != nil {
				return err
			}
			if err := o.Add(ctx, &biz.Event{ID: "e0", Type: biz.EventCreated, Token: s.Token, OwnerID: alice}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if _, err := r.ByToken(ctx, "rolled-back"); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("rolled back share: %v", err)
		}
		var n int64
		d.DB.Model(&events.OutboxRecord{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d outbox rows after a rollback", n)
		}

		err = tx.InTx(ctx, func(ctx context.Context) error {
			s := &biz.Share{Token: "kept", OwnerID: alice, Name: "photos", RecipientID: bob}
			if err := r.Create(ctx, s); err != nil {
				return err
			}
			return o.Add(ctx, &biz.Event{ID: "e1", Type: biz.EventCreated, Token: s.Token, OwnerID: alice,
				RecipientID: bob, OwnerNickname: "Alice", Name: "photos", OccurredAt: 42})
		})
		if err != nil {
			t.Fatal(err)
		}
		var rows []events.OutboxRecord
		d.DB.Find(&rows)
		if len(rows) != 1 || rows[0].Topic != events.TopicShare || rows[0].Key != "101" || rows[0].EventID != "e1" {
			t.Fatalf("outbox %+v", rows)
		}
		var e eventsv1.ShareEvent
		if err := proto.Unmarshal(rows[0].Payload, &e); err != nil {
			t.Fatal(err)
		}
		if e.GetType() != eventsv1.ShareEvent_CREATED || e.GetShareToken() != "kept" || e.GetRecipientId() != bob ||
			e.GetOwnerNickname() != "Alice" || e.GetOccurredAt() != 42 {
			t.Fatalf("event %v", &e)
		}
	})
}
