package biz

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

func TestAdminDisable(t *testing.T) {
	admin := auth.Caller{UserID: 1, Role: auth.RoleAdmin, SessionID: "admin-sid"}
	ctx := context.Background()

	t.Run("revokes tokens and sessions", func(t *testing.T) {
		f := newFixture(t)
		want := &User{ID: 9, Username: "mallory", Disabled: true}
		gomock.InOrder(
			f.users.EXPECT().SetDisabled(gomock.Any(), int64(9), true).Return(want, nil),
			f.sessions.EXPECT().RevokeAll(gomock.Any(), int64(9), "").Return(int64(3), nil),
		)
		before, _ := f.issuer.Issue(auth.Caller{UserID: 9, Role: auth.RoleUser, SessionID: "s"})
		got, err := f.adminUC().Disable(ctx, admin, 9)
		if err != nil || got != want {
			t.Fatalf("Disable = %+v, %v", got, err)
		}
		c, err := f.verifier.Verify(before)
		if err != nil {
			t.Fatal(err)
		}
		if rec, _ := f.revoked.Get(ctx, 9); !rec.Voids(c) {
			t.Fatalf("a token issued before the account was disabled is not revoked: %+v", rec)
		}
		// Revoked up to the very millisecond, and returned after it: a token
		// issued now (after re-enabling) is not caught.
		after, _ := f.issuer.Issue(auth.Caller{UserID: 9, Role: auth.RoleUser, SessionID: "s2"})
		if c, _ := f.verifier.Verify(after); func() bool { rec, _ := f.revoked.Get(ctx, 9); return rec.Voids(c) }() {
			t.Error("a token issued after Disable returned is revoked")
		}
		if rec, _ := f.revoked.Get(ctx, 1); !rec.At.IsZero() {
			t.Error("the administrator was revoked too")
		}
	})

	t.Run("cannot disable self", func(t *testing.T) {
		f := newFixture(t) // no repo calls expected
		_, err := f.adminUC().Disable(ctx, admin, 1)
		wantReason(t, err, commonv1.IsForbidden, "FORBIDDEN")
		if rec, _ := f.revoked.Get(ctx, 1); !rec.At.IsZero() {
			t.Error("a revocation was recorded")
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().SetDisabled(gomock.Any(), int64(404), true).Return(nil, ErrNotFound)
		_, err := f.adminUC().Disable(ctx, admin, 404)
		wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
		if rec, _ := f.revoked.Get(ctx, 404); !rec.At.IsZero() {
			t.Error("a revocation was recorded")
		}
	})

	t.Run("session store error is reported", func(t *testing.T) {
		f := newFixture(t)
		boom := errors.New("db down")
		f.users.EXPECT().SetDisabled(gomock.Any(), int64(9), true).Return(&User{ID: 9}, nil)
		f.sessions.EXPECT().RevokeAll(gomock.Any(), int64(9), "").Return(int64(0), boom)
		if _, err := f.adminUC().Disable(ctx, admin, 9); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

func TestAdminEnable(t *testing.T) {
	ctx := context.Background()
	admin := auth.Caller{UserID: 1, Role: auth.RoleAdmin}
	f := newFixture(t)
	f.users.EXPECT().SetDisabled(gomock.Any(), int64(9), false).Return(&User{ID: 9}, nil)
	f.users.EXPECT().SetDisabled(gomock.Any(), int64(404), false).Return(nil, ErrNotFound)
	if u, err := f.adminUC().Enable(ctx, admin, 9); err != nil || u.ID != 9 {
		t.Fatalf("Enable = %+v, %v", u, err)
	}
	_, err := f.adminUC().Enable(ctx, admin, 404)
	wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
}

func TestAdminListUsers(t *testing.T) {
	page := func(ids ...int64) []*User {
		us := make([]*User, len(ids))
		for i, id := range ids {
			us[i] = &User{ID: id}
		}
		return us
	}
	tests := []struct {
		name      string
		size      int
		wantLimit int
		rows      []*User
		wantIDs   []int64
		wantNext  int64
	}{
		{"more to come", 2, 3, page(4, 5, 6), []int64{4, 5}, 5},
		{"last page", 2, 3, page(4, 5), []int64{4, 5}, 0},
		{"zero size means 50", 0, 51, page(4), []int64{4}, 0},
		{"oversize means 50", 5000, 51, page(), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.users.EXPECT().List(gomock.Any(), "ali", int64(3), tt.wantLimit).Return(tt.rows, nil)
			p, err := f.adminUC().ListUsers(context.Background(), "ali", 3, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, u := range p.Users {
				ids = append(ids, u.ID)
			}
			if len(ids) != len(tt.wantIDs) || p.NextID != tt.wantNext {
				t.Fatalf("page = %v next %d, want %v next %d", ids, p.NextID, tt.wantIDs, tt.wantNext)
			}
			for i := range ids {
				if ids[i] != tt.wantIDs[i] {
					t.Fatalf("page = %v, want %v", ids, tt.wantIDs)
				}
			}
		})
	}
}
