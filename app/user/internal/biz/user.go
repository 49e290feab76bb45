package biz

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

// User is an account.
type User struct {
	ID       int64
	Username string
	Nickname string
	Email    string
	Phone    string
	Role     string
	Disabled bool
	// EmailVerified: the email was proven by a sign-in code sent to it.
	EmailVerified bool
	// EmailNotifications: notifications also go by email (when there is
	// an address). On for new accounts.
	EmailNotifications bool
	PasswordHash       string // empty for accounts made by code or GitHub sign-in
	CreatedAt          time.Time
}

// ProfileChange is what a user changes of their profile; nil fields stay.
type ProfileChange struct {
	Nickname *string
	// An empty email removes it; a changed one is unverified.
	Email              *string
	EmailNotifications *bool
}

// UserRepo stores accounts. Lookups by name, email or phone compare
// case-insensitively where the identifier is.
type UserRepo interface {
	Create(ctx context.Context, u *User) (*User, error) // ErrDuplicate names nothing: use Taken
	// Taken says which of username/email/phone is in use by someone else.
	Taken(ctx context.Context, u *User) (field string, err error)
	Get(ctx context.Context, id int64) (*User, error)
	FindByUsername(ctx context.Context, username string) (*User, error)
	FindByEmail(ctx context.Context, email string) (*User, error)
	FindByPhone(ctx context.Context, phone string) (*User, error)
	Count(ctx context.Context) (int64, error)
	// UpdateProfile sets the fields given; a changed email is unverified.
	UpdateProfile(ctx context.Context, id int64, c ProfileChange) (*User, error)
	UpdatePassword(ctx context.Context, id int64, hash string) error
	SetDisabled(ctx context.Context, id int64, disabled bool) (*User, error)
	// VerifyEmail marks the email proven; resetPassword also clears the password.
	VerifyEmail(ctx context.Context, id int64, resetPassword bool) error
	// List returns users with id > afterID matching query, by id.
	List(ctx context.Context, query string, afterID int64, limit int) ([]*User, error)
}

// AccountUsecase is sign-up and what a user changes of their own account.
type AccountUsecase struct {
	users    UserRepo
	sessions *SessionUsecase
	limiter  ratelimit.Limiter
	policy   *Policy
	log      *log.Helper
}

// NewAccountUsecase builds the use case.
func NewAccountUsecase(users UserRepo, sessions *SessionUsecase, limiter ratelimit.Limiter, p *Policy, logger log.Logger) *AccountUsecase {
	return &AccountUsecase{users: users, sessions: sessions, limiter: limiter, policy: p,
		log: log.NewHelper(log.With(logger, "module", "biz/account"))}
}

// Register creates an account with a password. The first account, and any
// the configuration names, are admins. Sign-ups are throttled per client
// IP: each costs a bcrypt.
func (uc *AccountUsecase) Register(ctx context.Context, username, password, email string, c Client) (*User, error) {
	if err := CheckPasswordStrength("password", password, username); err != nil {
		return nil, err
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "register:ip:"+c.IP, uc.policy.RegisterPerIP, rateLimited); err != nil {
		return nil, err
	}
	hash, err := hashPassword(password, uc.policy.BcryptCost)
	if err != nil {
		return nil, err
	}
	u, err := createUser(ctx, uc.users, uc.policy, &User{
		Username: username, Nickname: username, Email: email, PasswordHash: hash,
	})
	if err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "registered", "uid", u.ID)
	return u, nil
}

// createUser decides the role and maps a uniqueness conflict to its reason.
func createUser(ctx context.Context, users UserRepo, p *Policy, u *User) (*User, error) {
	u.Role = auth.RoleUser
	n, err := users.Count(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 || isConfiguredAdmin(p, u.Username) {
		u.Role = auth.RoleAdmin
	}
	created, err := users.Create(ctx, u)
	if errors.Is(err, ErrDuplicate) {
		field, terr := users.Taken(ctx, u)
		if terr != nil {
			return nil, terr
		}
		return nil, takenError(field)
	}
	return created, err
}

func isConfiguredAdmin(p *Policy, username string) bool {
	for _, a := range p.AdminUsernames {
		if strings.EqualFold(a, username) {
			return true
		}
	}
	return false
}

func takenError(field string) error {
	md := map[string]string{"field": field}
	switch field {
	case "email":
		return v1.ErrorEmailTaken("this email is already in use").WithMetadata(md)
	case "phone":
		return v1.ErrorPhoneTaken("this phone number is already in use").WithMetadata(md)
	default:
		return v1.ErrorUsernameTaken("this username is already taken").WithMetadata(map[string]string{"field": "username"})
	}
}

// Me returns the caller's account.
func (uc *AccountUsecase) Me(ctx context.Context, uid int64) (*User, error) {
	return uc.Get(ctx, uid)
}

// Get returns an account, for another service acting on a user's behalf.
func (uc *AccountUsecase) Get(ctx context.Context, uid int64) (*User, error) {
	u, err := uc.users.Get(ctx, uid)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound()
	}
	return u, err
}

// Lookup finds an account by username, whatever its case (a share's
// recipient). Disabled accounts are found too: the caller decides.
func (uc *AccountUsecase) Lookup(ctx context.Context, username string) (*User, error) {
	if strings.TrimSpace(username) == "" {
		return nil, errUserNotFound()
	}
	u, err := uc.users.FindByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound()
	}
	return u, err
}

// UpdateProfile changes the nickname, the email and whether notifications
// go by email; nil leaves a field alone.
func (uc *AccountUsecase) UpdateProfile(ctx context.Context, uid int64, c ProfileChange) (*User, error) {
	if c.Nickname != nil {
		n := strings.TrimSpace(*c.Nickname)
		c.Nickname = &n
	}
	u, err := uc.users.UpdateProfile(ctx, uid, c)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errUserNotFound()
	case errors.Is(err, ErrDuplicate):
		return nil, takenError("email")
	}
	return u, err
}

// ChangePassword checks the old password, stores the new one and signs out
// every session but the caller's. Guesses of the old password are
// throttled per user.
func (uc *AccountUsecase) ChangePassword(ctx context.Context, caller auth.Caller, oldPw, newPw string) (int64, error) {
	u, err := uc.Me(ctx, caller.UserID)
	if err != nil {
		return 0, err
	}
	// Only a live session sets a password, as the database says: a token
	// of a session revoked by an email claim must not slip through while
	// the revocation store is down (the middleware fails open).
	live, err := uc.sessions.Live(ctx, u.ID, caller.SessionID)
	if err != nil {
		return 0, err
	}
	if !live {
		return 0, commonv1.ErrorTokenRevoked("this session has been signed out: sign in again")
	}
	key := "password:uid:" + strconv.FormatInt(u.ID, 10)
	// Accounts made by code or GitHub sign-in, or whose email was claimed,
	// have no password: they set a first one without an old one.
	if u.PasswordHash != "" {
		if err := ratelimit.Charge(ctx, uc.limiter, key, uc.policy.PasswordPerUser, rateLimited); err != nil {
			return 0, err
		}
		if !passwordMatches(u.PasswordHash, oldPw, uc.policy.BcryptCost) {
			return 0, v1.ErrorInvalidCredentials("the current password is wrong").
				WithMetadata(map[string]string{"field": "old_password"})
		}
		_ = uc.limiter.Reset(ctx, key)
	}
	if err := CheckPasswordStrength("new_password", newPw, u.Username); err != nil {
		return 0, err
	}
	hash, err := hashPassword(newPw, uc.policy.BcryptCost)
	if err != nil {
		return 0, err
	}
	if err := uc.users.UpdatePassword(ctx, u.ID, hash); err != nil {
		return 0, err
	}
	n, err := uc.sessions.RevokeOthers(ctx, u.ID, caller.SessionID)
	if err != nil {
		return 0, err
	}
	uc.log.WithContext(ctx).Infow("msg", "password changed", "uid", u.ID, "revoked_sessions", n)
	return n, nil
}
