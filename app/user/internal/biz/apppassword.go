package biz

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

// AppPassword is a generated password for WebDAV and scripts. It signs in
// with the username, cannot change the account, and is revoked on its own.
type AppPassword struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// AppPasswordRepo stores app passwords; every method is scoped to the owner.
type AppPasswordRepo interface {
	Create(ctx context.Context, p *AppPassword) error
	List(ctx context.Context, userID int64) ([]*AppPassword, error)
	Revoke(ctx context.Context, userID, id int64) error
	RevokeAll(ctx context.Context, userID int64) error
	FindByHash(ctx context.Context, userID int64, hash string) (*AppPassword, error)
	Touch(ctx context.Context, userID, id int64, at time.Time) error
}

// AppPasswordUsecase manages app passwords.
type AppPasswordUsecase struct {
	repo        AppPasswordRepo
	users       UserRepo
	revocations auth.Revocations
	policy      *Policy
	now         Clock
	log         *log.Helper
}

// NewAppPasswordUsecase builds the use case.
func NewAppPasswordUsecase(repo AppPasswordRepo, users UserRepo, revocations auth.Revocations, p *Policy, now Clock, logger log.Logger) *AppPasswordUsecase {
	return &AppPasswordUsecase{repo: repo, users: users, revocations: revocations, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/apppassword"))}
}

// AppPasswordSession is the session id of the access tokens issued for an
// app password (":" never occurs in a real session id): revoking the app
// password revokes them at once, as signing a session out does.
func AppPasswordSession(id int64) string { return "app:" + strconv.FormatInt(id, 10) }

const appPasswordPrefix = "cdap-"

// Create makes a password and returns it in clear, the only time it is seen.
func (uc *AppPasswordUsecase) Create(ctx context.Context, uid int64, name string) (*AppPassword, string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := appPasswordPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	p := &AppPassword{UserID: uid, Name: strings.TrimSpace(name), Hash: HashToken(secret), CreatedAt: uc.now()}
	if err := uc.repo.Create(ctx, p); err != nil {
		return nil, "", err
	}
	return p, secret, nil
}

// List returns the user's app passwords (never their secrets).
func (uc *AppPasswordUsecase) List(ctx context.Context, uid int64) ([]*AppPassword, error) {
	return uc.repo.List(ctx, uid)
}

// Revoke deletes one of the user's app passwords, and voids the access
// tokens issued for it at once (a WebDAV client keeps one for its life).
func (uc *AppPasswordUsecase) Revoke(ctx context.Context, uid, id int64) error {
	err := uc.repo.Revoke(ctx, uid, id)
	if errors.Is(err, ErrNotFound) {
		return v1.ErrorAppPasswordNotFound("no such app password")
	}
	if err != nil {
		return err
	}
	return uc.revocations.RevokeSession(ctx, uid, AppPasswordSession(id), time.Now(), auth.RecordTTL(uc.policy.AccessTTL))
}

// Verify signs a WebDAV or script client in with username and app password.
func (uc *AppPasswordUsecase) Verify(ctx context.Context, username, secret string) (*User, error) {
	u, _, err := uc.VerifySession(ctx, username, secret)
	return u, err
}

// VerifySession is Verify, with the session id the access token issued
// for this app password must carry (AppPasswordSession).
func (uc *AppPasswordUsecase) VerifySession(ctx context.Context, username, secret string) (*User, string, error) {
	u, p, err := uc.verify(ctx, username, secret)
	if err != nil {
		return nil, "", err
	}
	return u, AppPasswordSession(p.ID), nil
}

func (uc *AppPasswordUsecase) verify(ctx context.Context, username, secret string) (*User, *AppPassword, error) {
	if !strings.HasPrefix(secret, appPasswordPrefix) {
		return nil, nil, errInvalidCredentials()
	}
	u, err := uc.users.FindByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, errInvalidCredentials()
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := uc.repo.FindByHash(ctx, u.ID, HashToken(secret))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, errInvalidCredentials()
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, errDisabled()
	}
	_ = uc.repo.Touch(ctx, u.ID, p.ID, uc.now())
	return u, p, nil
}
