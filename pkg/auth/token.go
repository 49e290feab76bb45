package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"clouddrive/pkg/durable"
)

const (
	issuer   = "clouddrive"
	audience = "clouddrive"
)

// Caller is who makes a request, as the access token says.
type Caller struct {
	UserID    int64
	Role      string
	SessionID string
	IssuedAt  time.Time
}

// IsAdmin reports whether the caller has the admin role.
func (c Caller) IsAdmin() bool { return c.Role == RoleAdmin }

// Roles.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

func init() {
	// Issue times in milliseconds (RFC 7519 allows fractional NumericDate):
	// a revocation and a sign-in within the same second stay ordered. They
	// are parsed in microseconds, so that Verify can round the float back
	// to the millisecond it was (parsing at millisecond precision truncates
	// x.52 read as x.519999 to x.519).
	jwt.TimePrecision = time.Microsecond
}

type claims struct {
	Role      string `json:"role"`
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// Issuer signs access tokens. Only the user service holds one.
type Issuer struct {
	key ed25519.PrivateKey
	ttl time.Duration
	now func() time.Time
}

// NewIssuer returns an Issuer whose tokens live for ttl.
func NewIssuer(key ed25519.PrivateKey, ttl time.Duration) *Issuer {
	return &Issuer{key: key, ttl: ttl, now: time.Now}
}

// TTL is how long an issued token lives.
func (i *Issuer) TTL() time.Duration { return i.ttl }

// Issue signs a token for the caller.
func (i *Issuer) Issue(c Caller) (string, error) {
	now := i.now().Truncate(time.Millisecond)
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{
		Role:      c.Role,
		SessionID: c.SessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   strconv.FormatInt(c.UserID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
			ID:        hex.EncodeToString(id),
		},
	})
	return t.SignedString(i.key)
}

// Verifier checks access tokens with the public key only.
type Verifier struct {
	key    ed25519.PublicKey
	parser *jwt.Parser
	now    func() time.Time
	seen   verified
}

// NewVerifier returns a Verifier for tokens signed by the matching private key.
func NewVerifier(key ed25519.PublicKey) *Verifier {
	v := &Verifier{key: key, now: time.Now}
	v.parser = jwt.NewParser(
		// Only EdDSA: "alg: none" and HS256-with-the-public-key never pass.
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// ErrInvalidToken is returned for any token that does not verify.
var ErrInvalidToken = errors.New("invalid access token")

// Verify parses and checks a token.
func (v *Verifier) Verify(token string) (Caller, error) {
	if c, ok := v.seen.get(token, v.now()); ok {
		return c, nil
	}
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil })
	if err != nil {
		return Caller{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 {
		return Caller{}, fmt.Errorf("%w: bad subject", ErrInvalidToken)
	}
	var iat time.Time
	if c.IssuedAt != nil {
		// Issued in whole milliseconds, parsed from a float of seconds
		// that may fall a hair short: rounded back, so that a token issued
		// in the millisecond after a revocation is never taken for one
		// issued in it.
		iat = c.IssuedAt.Time.Round(time.Millisecond)
	}
	caller := Caller{UserID: uid, Role: c.Role, SessionID: c.SessionID, IssuedAt: iat}
	v.seen.put(token, caller, c.ExpiresAt.Time) // ExpiresAt is required: never nil here
	return caller, nil
}

// LoadPrivateKey reads a PKCS#8 PEM Ed25519 private key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: %s is not an Ed25519 key", path)
	}
	return ek, nil
}

// LoadPublicKey reads a PKIX PEM Ed25519 public key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("auth: %s is not an Ed25519 key", path)
	}
	return ek, nil
}

func readPEM(path, kind string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != kind {
		return nil, fmt.Errorf("auth: %s holds no %s PEM block", path, kind)
	}
	return blk.Bytes, nil
}

// EnsureKeyPair creates an Ed25519 key pair at the two paths unless the
// private key exists already. The standalone binary calls it on first run.
func EnsureKeyPair(privPath, pubPath string) error {
	if _, err := os.Stat(privPath); err == nil {
		return nil
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	px, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	// The public key first: the private key's presence says the pair is
	// whole, and each is durable before the next step (a power cut must
	// not leave a half-written key that stops the start).
	if err := durable.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: px}), 0o644); err != nil {
		return err
	}
	return durable.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
}
