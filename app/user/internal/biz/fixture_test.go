package biz

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"
	"golang.org/x/crypto/bcrypt"

	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

// testNow has a fractional second so that truncation is visible.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 500_000_000, time.UTC)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// fixture wires every use case to mocks, a real in-memory limiter and a real
// token issuer with a fresh key.
type fixture struct {
	t         *testing.T
	users     *MockUserRepo
	sessions  *MockSessionRepo
	codes     *MockCodeRepo
	sender    *MockCodeSender
	oauthRepo *MockOAuthRepo
	provider  *MockOAuthProvider
	apps      *MockAppPasswordRepo
	limiter   *ratelimit.Memory
	revoked   *auth.MemoryRevocations
	issuer    *auth.Issuer
	verifier  *auth.Verifier
	policy    *Policy
	now       time.Time // what the use cases' clock returns; tests may move it
	logger    log.Logger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctrl := gomock.NewController(t)
	return &fixture{
		t:         t,
		users:     NewMockUserRepo(ctrl),
		sessions:  NewMockSessionRepo(ctrl),
		codes:     NewMockCodeRepo(ctrl),
		sender:    NewMockCodeSender(ctrl),
		oauthRepo: NewMockOAuthRepo(ctrl),
		provider:  NewMockOAuthProvider(ctrl),
		apps:      NewMockAppPasswordRepo(ctrl),
		limiter:   ratelimit.NewMemory(),
		revoked:   auth.NewMemoryRevocations(),
		issuer:    auth.NewIssuer(priv, 15*time.Minute),
		verifier:  auth.NewVerifier(pub),
		policy: &Policy{
			AccessTTL:          15 * time.Minute,
			RefreshTTL:         30 * 24 * time.Hour,
			BcryptCost:         bcrypt.MinCost,
			Secret:             testSecret,
			CodeTTL:            5 * time.Minute,
			CodeMaxAttempts:    5,
			CodeResendInterval: time.Minute,
			OAuthTicketTTL:     time.Minute,
			SPACallbackURL:     "https://drive.example/oauth/callback",
		},
		now:    testNow,
		logger: log.NewStdLogger(io.Discard),
	}
}

func (f *fixture) clock() Clock { return func() time.Time { return f.now } }

func (f *fixture) sessionUC() *SessionUsecase {
	return NewSessionUsecase(f.users, f.sessions, f.issuer, f.limiter, f.revoked, f.policy, f.clock(), f.logger)
}

func (f *fixture) accountUC() *AccountUsecase {
	return NewAccountUsecase(f.users, f.sessionUC(), f.limiter, f.policy, f.logger)
}

func (f *fixture) codeUC() *CodeUsecase {
	return NewCodeUsecase(f.codes, f.users, f.apps, f.sender, f.sessionUC(), f.limiter, f.policy, f.clock(), f.logger)
}

func (f *fixture) oauthUC() *OAuthUsecase {
	return NewOAuthUsecase(f.provider, f.oauthRepo, f.users, f.sessionUC(), f.policy, f.clock(), f.logger)
}

func (f *fixture) adminUC() *AdminUsecase {
	return NewAdminUsecase(f.users, f.sessions, f.revoked, f.policy, f.clock(), f.logger)
}

func (f *fixture) appPasswordUC() *AppPasswordUsecase {
	return NewAppPasswordUsecase(f.apps, f.users, f.revoked, f.policy, f.clock(), f.logger)
}

// expectSessionCreate expects one new session for uid and records what was
// stored.
func (f *fixture) expectSessionCreate(uid int64) *createdSession {
	cs := &createdSession{}
	f.sessions.EXPECT().Create(gomock.Any(), gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ any, s *Session, rt *RefreshToken) error {
			if s.UserID != uid {
				f.t.Errorf("session created for user %d, want %d", s.UserID, uid)
			}
			cs.session, cs.token = s, rt
			return nil
		})
	return cs
}

type createdSession struct {
	session *Session
	token   *RefreshToken
}

// checkTokens verifies that tokens are a real pair for u in session sid.
func (f *fixture) checkTokens(tok *Tokens, u *User, sid string, refreshHash string) {
	f.t.Helper()
	if tok == nil {
		f.t.Fatal("no tokens")
	}
	c, err := f.verifier.Verify(tok.AccessToken)
	if err != nil {
		f.t.Fatalf("access token does not verify: %v", err)
	}
	if c.UserID != u.ID || c.Role != u.Role || c.SessionID != sid {
		f.t.Errorf("access token caller = %+v, want uid %d role %q sid %q", c, u.ID, u.Role, sid)
	}
	if tok.ExpiresIn != 15*time.Minute {
		f.t.Errorf("ExpiresIn = %v, want 15m", tok.ExpiresIn)
	}
	if tok.User != u {
		f.t.Errorf("Tokens.User = %+v, want %+v", tok.User, u)
	}
	if tok.RefreshToken == "" || HashToken(tok.RefreshToken) != refreshHash {
		f.t.Errorf("refresh token %q does not hash to the stored %q", tok.RefreshToken, refreshHash)
	}
}

// reasonOf is the kratos reason of err ("" for nil).
func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.FromError(err).Reason
}

func metadataOf(err error) map[string]string {
	return kerrors.FromError(err).Metadata
}

// wantReason fails unless check(err) holds.
func wantReason(t *testing.T, err error, check func(error) bool, name string) {
	t.Helper()
	if err == nil || !check(err) {
		t.Fatalf("err = %v (reason %q), want %s", err, reasonOf(err), name)
	}
}

// codeHash is the keyed hash a sign-in code must be stored as, computed
// independently of the implementation.
func codeHash(secret []byte, target, code string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("login-code\x00" + target + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}
