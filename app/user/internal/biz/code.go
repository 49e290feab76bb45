package biz

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/ratelimit"
)

// TargetKind says where a sign-in code goes.
type TargetKind int

// Target kinds.
const (
	TargetEmail TargetKind = iota + 1
	TargetPhone
)

// LoginCode is a sign-in code sent to a target; only its keyed hash is kept.
type LoginCode struct {
	ID        int64
	Target    string
	Hash      string
	Attempts  int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// CodeRepo stores sign-in codes.
type CodeRepo interface {
	Create(ctx context.Context, c *LoginCode) error
	// Latest is the newest unconsumed code of the target.
	Latest(ctx context.Context, target string) (*LoginCode, error)
	// Attempt counts one try; false when max tries were already made.
	Attempt(ctx context.Context, id int64, max int) (bool, error)
	// Consume marks the code used; false when it already was.
	Consume(ctx context.Context, id int64) (bool, error)
}

// CodeSender delivers a code: SMTP, SMS, or a file for one machine.
type CodeSender interface {
	Send(ctx context.Context, kind TargetKind, target, code string, ttl time.Duration) error
}

// CodeUsecase is sign-in (and sign-up) with a one-time code.
type CodeUsecase struct {
	codes    CodeRepo
	users    UserRepo
	apps     AppPasswordRepo
	sender   CodeSender
	sessions *SessionUsecase
	limiter  ratelimit.Limiter
	policy   *Policy
	now      Clock
	log      *log.Helper
}

// NewCodeUsecase builds the use case.
func NewCodeUsecase(codes CodeRepo, users UserRepo, apps AppPasswordRepo, sender CodeSender, sessions *SessionUsecase, limiter ratelimit.Limiter, p *Policy, now Clock, logger log.Logger) *CodeUsecase {
	return &CodeUsecase{codes: codes, users: users, apps: apps, sender: sender, sessions: sessions, limiter: limiter, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/code"))}
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizeTarget recognises an email address or an E.164 phone number.
func NormalizeTarget(target string) (TargetKind, string, error) {
	t := strings.TrimSpace(target)
	if strings.Contains(t, "@") {
		a, err := mail.ParseAddress(t)
		if err == nil && a.Address == t {
			return TargetEmail, strings.ToLower(t), nil
		}
	} else {
		p := strings.NewReplacer(" ", "", "-", "").Replace(t)
		if len(p) == 11 && strings.HasPrefix(p, "1") { // a mainland number without +86
			p = "+86" + p
		}
		if phonePattern.MatchString(p) {
			return TargetPhone, p, nil
		}
	}
	return 0, "", v1.ErrorInvalidTarget("not an email address or an international phone number (+8613800138000)").
		WithMetadata(map[string]string{"field": "target"})
}

// SendResult says how long the code lives and when another may be sent.
type SendResult struct {
	ExpiresIn   time.Duration
	ResendAfter time.Duration
}

// Send creates a code and delivers it. Resending to the same target is
// throttled, and so are sends per client IP.
func (uc *CodeUsecase) Send(ctx context.Context, target string, c Client) (*SendResult, error) {
	kind, t, err := NormalizeTarget(target)
	if err != nil {
		return nil, err
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "code:ip:"+c.IP, uc.policy.CodePerIP, rateLimited); err != nil {
		return nil, err
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "code:target:"+t, uc.policy.CodePerTarget, rateLimited); err != nil {
		return nil, err
	}
	now := uc.now()
	last, err := uc.codes.Latest(ctx, t)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if last != nil {
		if wait := last.CreatedAt.Add(uc.policy.CodeResendInterval).Sub(now); wait > 0 {
			secs := int64(wait.Seconds()) + 1
			return nil, v1.ErrorCodeResendTooSoon("wait %d seconds before asking for another code", secs).
				WithMetadata(map[string]string{"retry_after_seconds": fmt.Sprint(secs)})
		}
	}
	code, err := sixDigits()
	if err != nil {
		return nil, err
	}
	lc := &LoginCode{Target: t, Hash: uc.hash(t, code), ExpiresAt: now.Add(uc.policy.CodeTTL), CreatedAt: now}
	if err := uc.codes.Create(ctx, lc); err != nil {
		return nil, err
	}
	if err := uc.sender.Send(ctx, kind, t, code, uc.policy.CodeTTL); err != nil {
		// Void the code that never arrived, so a retry is not throttled.
		_, _ = uc.codes.Consume(ctx, lc.ID)
		uc.log.WithContext(ctx).Errorw("msg", "sending a sign-in code failed", "err", err)
		return nil, v1.ErrorSendFailed("the code could not be sent, try again later")
	}
	return &SendResult{ExpiresIn: uc.policy.CodeTTL, ResendAfter: uc.policy.CodeResendInterval}, nil
}

// Login checks a code and signs in, creating the account on first use.
func (uc *CodeUsecase) Login(ctx context.Context, target, code string, c Client) (*Tokens, error) {
	kind, t, err := NormalizeTarget(target)
	if err != nil {
		return nil, err
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "login:ip:"+c.IP, uc.policy.LoginPerIP, rateLimited); err != nil {
		return nil, err
	}
	lc, err := uc.codes.Latest(ctx, t)
	if errors.Is(err, ErrNotFound) {
		return nil, v1.ErrorCodeInvalid("the code is wrong")
	}
	if err != nil {
		return nil, err
	}
	if uc.now().After(lc.ExpiresAt) {
		return nil, v1.ErrorCodeExpired("the code has expired, ask for a new one")
	}
	ok, err := uc.codes.Attempt(ctx, lc.ID, uc.policy.CodeMaxAttempts)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, v1.ErrorCodeTooManyAttempts("too many wrong codes, ask for a new one")
	}
	if !hmac.Equal([]byte(uc.hash(t, code)), []byte(lc.Hash)) {
		return nil, v1.ErrorCodeInvalid("the code is wrong")
	}
	if ok, err := uc.codes.Consume(ctx, lc.ID); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, v1.ErrorCodeInvalid("the code is wrong")
	}
	u, err := uc.findOrCreate(ctx, kind, t)
	if err != nil {
		return nil, err
	}
	return uc.sessions.Start(ctx, u, c)
}

func (uc *CodeUsecase) findOrCreate(ctx context.Context, kind TargetKind, t string) (*User, error) {
	var u *User
	var err error
	if kind == TargetEmail {
		u, err = uc.users.FindByEmail(ctx, t)
	} else {
		u, err = uc.users.FindByPhone(ctx, t)
	}
	if err == nil && kind == TargetEmail && !u.EmailVerified {
		return u, uc.claimEmail(ctx, u)
	}
	if err == nil || !errors.Is(err, ErrNotFound) {
		return u, err
	}
	nu := &User{}
	if kind == TargetEmail {
		nu.Email, nu.EmailVerified = t, true
		nu.Nickname = strings.SplitN(t, "@", 2)[0]
	} else {
		nu.Phone = t
		nu.Nickname = "user" + t[len(t)-4:]
	}
	return createWithFreeName(ctx, uc.users, uc.policy, nu, "u")
}

// claimEmail is the first proof of an email that an account only claimed.
// Whoever typed it at sign-up may not own it (account pre-hijacking), so the
// proven owner gets the account and everything that let others in goes: the
// password, the sessions and the app passwords. A real owner just sets a
// new password.
func (uc *CodeUsecase) claimEmail(ctx context.Context, u *User) error {
	if err := uc.users.VerifyEmail(ctx, u.ID, true); err != nil {
		return err
	}
	if _, err := uc.sessions.RevokeOthers(ctx, u.ID, ""); err != nil {
		return err
	}
	if err := uc.apps.RevokeAll(ctx, u.ID); err != nil {
		return err
	}
	uc.log.WithContext(ctx).Infow("msg", "email proven by code; password and sessions reset", "uid", u.ID)
	u.EmailVerified, u.PasswordHash = true, ""
	return nil
}

// createWithFreeName creates an account for someone who never chose a
// username (code or GitHub sign-in), trying base then random suffixes.
func createWithFreeName(ctx context.Context, users UserRepo, p *Policy, u *User, base string) (*User, error) {
	for i := 0; i < 5; i++ {
		suffix, err := randomDigits(8)
		if err != nil {
			return nil, err
		}
		u.Username = base + "_" + suffix
		if i == 0 && base != "u" {
			u.Username = base
		}
		created, err := createUser(ctx, users, p, u)
		if err == nil {
			return created, nil
		}
		if !v1.IsUsernameTaken(err) {
			return nil, err
		}
	}
	return nil, v1.ErrorUsernameTaken("could not find a free username")
}

func (uc *CodeUsecase) hash(target, code string) string {
	m := hmac.New(sha256.New, uc.policy.Secret)
	m.Write([]byte("login-code\x00" + target + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func sixDigits() (string, error) { return randomDigits(6) }

func randomDigits(n int) (string, error) {
	max := big.NewInt(1)
	for i := 0; i < n; i++ {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", n, v), nil
}
