package biz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

// Session is one signed-in device: a family of refresh tokens, each used once.
type Session struct {
	ID         string
	UserID     int64
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	Revoked    bool
}

// RefreshToken is one link of a session's chain; only its hash is stored.
type RefreshToken struct {
	Hash      string
	SessionID string
	UserID    int64
	ExpiresAt time.Time
	Used      bool
}

// SessionRepo stores sessions and their refresh tokens.
type SessionRepo interface {
	// Create stores a session with its first refresh token.
	Create(ctx context.Context, s *Session, first *RefreshToken) error
	FindToken(ctx context.Context, hash string) (*RefreshToken, *Session, error)
	// UseToken marks the token used; false when it already was (a race or a replay).
	UseToken(ctx context.Context, hash string, now time.Time) (bool, error)
	AddToken(ctx context.Context, t *RefreshToken, now time.Time) error
	Revoke(ctx context.Context, userID int64, sessionID string) error
	// RevokeAll revokes every live session of the user except one ("" for none).
	RevokeAll(ctx context.Context, userID int64, except string) (int64, error)
	List(ctx context.Context, userID int64, now time.Time) ([]*Session, error)
}

// Tokens is what a successful sign-in returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         *User
}

// SessionUsecase signs people in with a password and keeps their sessions:
// refresh with rotation and reuse detection, sign-out, the session list.
type SessionUsecase struct {
	users       UserRepo
	sessions    SessionRepo
	issuer      TokenIssuer
	limiter     ratelimit.Limiter
	revocations auth.Revocations
	policy      *Policy
	now         Clock
	log         *log.Helper
}

// NewSessionUsecase builds the use case.
func NewSessionUsecase(users UserRepo, sessions SessionRepo, issuer TokenIssuer, limiter ratelimit.Limiter,
	revocations auth.Revocations, p *Policy, now Clock, logger log.Logger) *SessionUsecase {
	return &SessionUsecase{users: users, sessions: sessions, issuer: issuer, limiter: limiter, revocations: revocations,
		policy: p, now: now, log: log.NewHelper(log.With(logger, "module", "biz/session"))}
}

// Login checks a username (or email) and password. Unknown users and wrong
// passwords get the same answer in the same time. Before the password is
// compared, attempts are charged per client IP, per (account, IP) — which
// locks that source out of the account — and per account: past that budget
// the account admits one attempt per LoginBackoff from anywhere, so a
// distributed guesser crawls while the owner, from another source, still
// signs in after a short wait. Nobody can lock anyone out.
func (uc *SessionUsecase) Login(ctx context.Context, username, password string, c Client) (*Tokens, error) {
	if err := ratelimit.Charge(ctx, uc.limiter, "login:ip:"+c.IP, uc.policy.LoginPerIP, rateLimited); err != nil {
		return nil, err
	}
	name := strings.ToLower(strings.TrimSpace(username))
	var u *User
	var err error
	if strings.Contains(name, "@") {
		u, err = uc.users.FindByEmail(ctx, name)
	} else {
		u, err = uc.users.FindByUsername(ctx, name)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// One counter per account, whether it is named by username or email.
	account, hash := "name:"+name, ""
	if u != nil {
		account, hash = "uid:"+strconv.FormatInt(u.ID, 10), u.PasswordHash
	}
	source := "login:acct:" + account + ":ip:" + c.IP
	if err := ratelimit.Charge(ctx, uc.limiter, source, uc.policy.LoginPerAccountSource, rateLimited); err != nil {
		return nil, err
	}
	if err := uc.accountBackoff(ctx, account); err != nil {
		return nil, err
	}
	if !passwordMatches(hash, password, uc.policy.BcryptCost) {
		uc.log.WithContext(ctx).Infow("msg", "login failed", "ip", c.IP)
		return nil, errInvalidCredentials()
	}
	if u.Disabled {
		return nil, errDisabled()
	}
	_ = uc.limiter.Reset(ctx, source)
	_ = uc.limiter.Reset(ctx, "login:acct:"+account)
	return uc.Start(ctx, u, c)
}

// accountBackoff charges an attempt to the account from any source. Within
// LoginPerAccount it passes; past it, one attempt per LoginBackoff passes.
func (uc *SessionUsecase) accountBackoff(ctx context.Context, account string) error {
	r := uc.policy.LoginPerAccount
	if r.Limit <= 0 {
		return nil
	}
	d, err := uc.limiter.Allow(ctx, "login:acct:"+account, r)
	if err != nil || d.Allowed {
		return err
	}
	if uc.policy.LoginBackoff <= 0 {
		return rateLimited(d.RetryAfter)
	}
	return ratelimit.Charge(ctx, uc.limiter, "login:acct:slot:"+account, ratelimit.Rule{Limit: 1, Window: uc.policy.LoginBackoff}, rateLimited)
}

// Start opens a new session for a user who has proved who they are.
func (uc *SessionUsecase) Start(ctx context.Context, u *User, c Client) (*Tokens, error) {
	if u.Disabled {
		return nil, errDisabled()
	}
	now := uc.now()
	sid, err := randomString(12)
	if err != nil {
		return nil, err
	}
	s := &Session{ID: sid, UserID: u.ID, UserAgent: truncate(c.UserAgent, 255), IP: c.IP,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(uc.policy.RefreshTTL)}
	refresh, rt, err := uc.newRefreshToken(s, now)
	if err != nil {
		return nil, err
	}
	if err := uc.sessions.Create(ctx, s, rt); err != nil {
		return nil, err
	}
	return uc.tokens(u, sid, refresh)
}

// Refresh trades a refresh token for a new pair. A token used twice means it
// leaked: the whole session is revoked and the caller must sign in again.
func (uc *SessionUsecase) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	now := uc.now()
	t, s, err := uc.sessions.FindToken(ctx, HashToken(refresh))
	if errors.Is(err, ErrNotFound) {
		return nil, errRefreshInvalid()
	}
	if err != nil {
		return nil, err
	}
	if s.Revoked || now.After(t.ExpiresAt) || now.After(s.ExpiresAt) {
		return nil, errRefreshInvalid()
	}
	ok := !t.Used
	if ok {
		if ok, err = uc.sessions.UseToken(ctx, t.Hash, now); err != nil {
			return nil, err
		}
	}
	if !ok {
		if err := uc.endSession(ctx, s.UserID, s.ID); err != nil {
			return nil, err
		}
		uc.log.WithContext(ctx).Warnw("msg", "refresh token reused; session revoked", "uid", s.UserID, "sid", s.ID)
		return nil, v1.ErrorRefreshTokenReused("this refresh token was already used; the session has been signed out")
	}
	u, err := uc.users.Get(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errDisabled()
	}
	next, rt, err := uc.newRefreshToken(s, now)
	if err != nil {
		return nil, err
	}
	if err := uc.sessions.AddToken(ctx, rt, now); err != nil {
		return nil, err
	}
	return uc.tokens(u, s.ID, next)
}

// Logout ends the session the refresh token belongs to. It is idempotent: an
// unknown token is not an error, so logging out twice is harmless.
func (uc *SessionUsecase) Logout(ctx context.Context, refresh string) error {
	t, _, err := uc.sessions.FindToken(ctx, HashToken(refresh))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return uc.endSession(ctx, t.UserID, t.SessionID)
}

// List returns the user's live sessions.
func (uc *SessionUsecase) List(ctx context.Context, uid int64) ([]*Session, error) {
	return uc.sessions.List(ctx, uid, uc.now())
}

// Revoke signs one of the user's sessions out.
func (uc *SessionUsecase) Revoke(ctx context.Context, uid int64, sid string) error {
	err := uc.endSession(ctx, uid, sid)
	if errors.Is(err, ErrNotFound) {
		return v1.ErrorSessionNotFound("no such session")
	}
	return err
}

// RevokeOthers signs out every session of the user but keep ("" for all),
// and voids every access token the user holds but keep's, in every service.
func (uc *SessionUsecase) RevokeOthers(ctx context.Context, uid int64, keep string) (int64, error) {
	if err := RevokeTokens(ctx, uc.revocations, uc.policy, uid, keep); err != nil {
		return 0, err
	}
	return uc.sessions.RevokeAll(ctx, uid, keep)
}

// endSession revokes one session and voids its access tokens at once.
func (uc *SessionUsecase) endSession(ctx context.Context, uid int64, sid string) error {
	if err := uc.sessions.Revoke(ctx, uid, sid); err != nil {
		return err
	}
	return uc.revocations.RevokeSession(ctx, uid, sid, time.Now(), auth.RecordTTL(uc.policy.AccessTTL))
}

// Live reports whether sid is one of the user's live sessions, as the
// database says: what the revocation store cannot promise when it is down.
func (uc *SessionUsecase) Live(ctx context.Context, uid int64, sid string) (bool, error) {
	if sid == "" {
		return false, nil
	}
	ss, err := uc.sessions.List(ctx, uid, uc.now())
	if err != nil {
		return false, err
	}
	for _, s := range ss {
		if s.ID == sid {
			return true, nil
		}
	}
	return false, nil
}

// RevokeTokens voids every access token (and signed URL) of the user
// issued until now, but those of session keep, in every service. Times are
// the token issuer's clock (the real one), in milliseconds: it returns once
// that millisecond is over, so a token issued afterwards (the new session
// of an email claim) is never caught by it.
func RevokeTokens(ctx context.Context, r auth.Revocations, p *Policy, uid int64, keep string) error {
	at := time.Now()
	if err := r.RevokeUser(ctx, uid, at, keep, auth.RecordTTL(p.AccessTTL)); err != nil {
		return err
	}
	if d := at.Truncate(time.Millisecond).Add(time.Millisecond).Sub(time.Now()); d > 0 {
		time.Sleep(d)
	}
	return nil
}

func (uc *SessionUsecase) newRefreshToken(s *Session, now time.Time) (string, *RefreshToken, error) {
	raw, err := randomString(32)
	if err != nil {
		return "", nil, err
	}
	exp := now.Add(uc.policy.RefreshTTL)
	if exp.After(s.ExpiresAt) {
		exp = s.ExpiresAt
	}
	return raw, &RefreshToken{Hash: HashToken(raw), SessionID: s.ID, UserID: s.UserID, ExpiresAt: exp}, nil
}

func (uc *SessionUsecase) tokens(u *User, sid, refresh string) (*Tokens, error) {
	access, err := uc.issuer.Issue(auth.Caller{UserID: u.ID, Role: u.Role, SessionID: sid})
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: uc.issuer.TTL(), User: u}, nil
}

func errRefreshInvalid() error {
	return v1.ErrorRefreshTokenInvalid("the refresh token is invalid or expired")
}

// HashToken is how opaque tokens (refresh tokens, tickets, app passwords) are
// stored: they carry 256 random bits, so a fast hash is enough.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
