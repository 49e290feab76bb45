// Package biz holds the user service's use cases (sign-up, sign-in, sessions,
// sign-in codes, GitHub, app passwords, administration) and the ports they
// need. It knows nothing of gorm, Redis, gRPC or HTTP.
package biz

import (
	"time"

	"github.com/google/wire"

	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(
	NewAccountUsecase, NewSessionUsecase, NewCodeUsecase,
	NewOAuthUsecase, NewAppPasswordUsecase, NewAdminUsecase,
)

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . UserRepo,SessionRepo,CodeRepo,CodeSender,OAuthRepo,OAuthProvider,AppPasswordRepo

// Policy is the service's tunables, built from its configuration.
type Policy struct {
	AccessTTL      time.Duration
	RefreshTTL     time.Duration
	BcryptCost     int
	AdminUsernames []string
	// Secret keys the HMACs of sign-in codes and OAuth state.
	Secret []byte

	CodeTTL            time.Duration
	CodeMaxAttempts    int
	CodeResendInterval time.Duration

	LoginPerIP ratelimit.Rule
	// LoginPerAccountSource locks one source (client IP) out of one account.
	LoginPerAccountSource ratelimit.Rule
	// LoginPerAccount is every source's attempts at one account; past it
	// the account is not locked but admits one attempt per LoginBackoff,
	// so that nobody can lock its owner out.
	LoginPerAccount ratelimit.Rule
	LoginBackoff    time.Duration
	CodePerIP       ratelimit.Rule
	CodePerTarget   ratelimit.Rule
	// PasswordPerUser throttles guesses of the current password.
	PasswordPerUser ratelimit.Rule
	// RegisterPerIP throttles sign-ups (each costs a bcrypt).
	RegisterPerIP ratelimit.Rule

	OAuthTicketTTL time.Duration
	// The SPA page that receives ?ticket= after a GitHub sign-in.
	SPACallbackURL string
}

// Client is the machine a request came from.
type Client struct {
	IP        string
	UserAgent string
}

// TokenIssuer signs access tokens (*auth.Issuer).
type TokenIssuer interface {
	Issue(c auth.Caller) (string, error)
	TTL() time.Duration
}

// Clock is time, replaceable in tests.
type Clock func() time.Time

// NewClock is the real clock.
func NewClock() Clock { return func() time.Time { return time.Now().UTC() } }
