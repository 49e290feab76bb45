package biz

import (
	"context"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"

	filev1 "clouddrive/api/file/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/ratelimit"
)

var testNow = time.Date(2030, 4, 5, 6, 7, 8, 0, time.UTC)

const (
	alice int64 = 11 // the owner
	bob   int64 = 22 // a visitor, the recipient
)

// fixture wires both use cases to mocks, a real in-memory limiter and real keys.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	shares  *MockShareRepo
	events  *MockOutboxRepo
	tx      *MockTransaction
	files   *MockFileService
	storage *MockStorageService
	users   *MockUserService
	limiter *ratelimit.Memory
	keys    *Keys
	policy  *Policy
	now     time.Time
	uc      *ShareUsecase
	access  *AccessUsecase
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	keys, err := NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), shares: NewMockShareRepo(ctrl), events: NewMockOutboxRepo(ctrl),
		tx: NewMockTransaction(ctrl), files: NewMockFileService(ctrl), storage: NewMockStorageService(ctrl),
		users: NewMockUserService(ctrl), limiter: ratelimit.NewMemory(), keys: keys, now: testNow,
		policy: &Policy{AccessTTL: 30 * time.Minute, MaxWrongCodes: 10, Cooldown: 15 * time.Minute,
			OpenPerIP: ratelimit.Rule{Limit: 20, Window: time.Minute}, OpenPerShare: ratelimit.Rule{Limit: 100, Window: time.Minute},
			URLPrefix: "/s/"}}
	clock := func() time.Time { return f.now }
	logger := log.NewStdLogger(io.Discard)
	f.uc = NewShareUsecase(f.shares, f.events, f.tx, f.files, f.users, keys, f.policy, clock, logger)
	f.access = NewAccessUsecase(f.shares, f.events, f.tx, f.files, f.storage, f.users, f.limiter, keys, f.policy, clock, logger)
	f.tx.EXPECT().InTx(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		return fn(ctx)
	}).AnyTimes()
	return f
}

// share is a share of alice's folder 100, with code "ab12" when code is set.
func (f *fixture) share(code string) *Share {
	s := &Share{ID: 7, Token: "tok_" + code, OwnerID: alice, NodeID: 100, Name: "photos", Folder: true,
		RecipientID: bob, RecipientName: "bob", CreatedAt: f.now.Add(-time.Hour)}
	if code != "" {
		s.CodeHash = f.keys.hashCode(s.Token, code)
		s.CodeSealed, _ = f.keys.sealCode(s.Token, code)
	}
	return s
}

var (
	aliceUser = &User{ID: alice, Username: "alice", Nickname: "Alice"}
	bobUser   = &User{ID: bob, Username: "bob"}
	folder100 = &Node{ID: 100, ParentID: 5, Name: "photos", Folder: true}
)

// live expects the re-check of a share's owner and node.
func (f *fixture) live(s *Share) {
	f.users.EXPECT().GetUser(gomock.Any(), s.OwnerID).Return(aliceUser, nil)
	f.files.EXPECT().GetNode(gomock.Any(), s.OwnerID, s.NodeID).Return(folder100, nil)
}

// opened returns an access token for s, as Open would.
func (f *fixture) opened(s *Share) string {
	return f.keys.signAccess(s.Token, f.now, f.now.Add(f.policy.AccessTTL))
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", reason)
	}
	if got := kerrors.Reason(err); got != reason {
		t.Fatalf("error %v (reason %q), want %s", err, got, reason)
	}
}

func errNodeMissing() error { return filev1.ErrorNodeNotFound("no such file or folder") }
func errUserMissing() error { return userv1.ErrorUserNotFound("user not found") }

func ptr[T any](v T) *T { return &v }
