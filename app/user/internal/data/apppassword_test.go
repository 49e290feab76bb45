package data

import (
	"context"
	"slices"
	"testing"

	"clouddrive/app/user/internal/biz"
)

func mustCreateAppPassword(t *testing.T, r biz.AppPasswordRepo, uid int64, name string) *biz.AppPassword {
	t.Helper()
	p := &biz.AppPassword{UserID: uid, Name: name, Hash: hash64(name), CreatedAt: dbNow()}
	if err := r.Create(context.Background(), p); err != nil {
		t.Fatalf("Create app password %s: %v", name, err)
	}
	if p.ID <= 0 {
		t.Fatalf("Create app password %s left no id", name)
	}
	return p
}

func appPasswordNames(ps []*biz.AppPassword) []string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

func TestAppPasswordsScopedToOwner(t *testing.T) {
	const alice, bob = 1, 2
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewAppPasswordRepo(d)
		ctx := context.Background()
		a1 := mustCreateAppPassword(t, r, alice, "laptop")
		a2 := mustCreateAppPassword(t, r, alice, "phone")
		b1 := mustCreateAppPassword(t, r, bob, "desktop")
		if got, err := r.List(ctx, alice); err != nil || !slices.Equal(appPasswordNames(got), []string{"laptop", "phone"}) {
			t.Fatalf("List(alice) = %v, %v; want laptop, phone in creation order", appPasswordNames(got), err)
		}
		dup := &biz.AppPassword{UserID: bob, Name: "copy", Hash: a1.Hash, CreatedAt: dbNow()}
		wantErr(t, "Create with a taken hash", r.Create(ctx, dup), biz.ErrDuplicate)

		finds := []struct {
			name    string
			uid     int64
			hash    string
			wantID  int64
			wantErr error
		}{
			{"owner finds own", alice, a1.Hash, a1.ID, nil},
			{"other user cannot find it", bob, a1.Hash, 0, biz.ErrNotFound},
			{"bob finds his", bob, b1.Hash, b1.ID, nil},
			{"unknown hash", alice, hash64("nope"), 0, biz.ErrNotFound},
		}
		for _, f := range finds {
			t.Run("find/"+f.name, func(t *testing.T) {
				p, err := r.FindByHash(ctx, f.uid, f.hash)
				wantErr(t, "FindByHash", err, f.wantErr)
				if f.wantErr == nil && (p.ID != f.wantID || p.UserID != f.uid || p.Hash != f.hash) {
					t.Fatalf("FindByHash = %+v, want id %d", p, f.wantID)
				}
			})
		}

		// Touch by another user changes nothing; by the owner it stamps.
		at := dbNow()
		if err := r.Touch(ctx, bob, a2.ID, at); err != nil {
			t.Fatal(err)
		}
		if p, _ := r.FindByHash(ctx, alice, a2.Hash); p.LastUsedAt != nil {
			t.Fatalf("another user's Touch stamped %v", p.LastUsedAt)
		}
		if err := r.Touch(ctx, alice, a2.ID, at); err != nil {
			t.Fatal(err)
		}
		if p, _ := r.FindByHash(ctx, alice, a2.Hash); p.LastUsedAt == nil {
			t.Fatal("Touch did not stamp the last use")
		} else {
			sameInstant(t, "last use", *p.LastUsedAt, at)
		}

		revokes := []struct {
			name    string
			uid, id int64
			wantErr error
		}{
			{"other user cannot revoke", bob, a1.ID, biz.ErrNotFound},
			{"owner revokes", alice, a1.ID, nil},
			{"revoked already", alice, a1.ID, biz.ErrNotFound},
			{"absent id", alice, b1.ID + 1000, biz.ErrNotFound},
		}
		for _, rv := range revokes {
			t.Run("revoke/"+rv.name, func(t *testing.T) {
				wantErr(t, "Revoke", r.Revoke(ctx, rv.uid, rv.id), rv.wantErr)
			})
		}

		lists := []struct {
			uid  int64
			want []string
		}{
			{alice, []string{"phone"}},
			{bob, []string{"desktop"}},
			{3, []string{}},
		}
		for _, l := range lists {
			got, err := r.List(ctx, l.uid)
			if err != nil {
				t.Fatal(err)
			}
			if names := appPasswordNames(got); !slices.Equal(names, l.want) {
				t.Fatalf("List(%d) = %v, want %v", l.uid, names, l.want)
			}
		}
	})
}
