package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// goodClaims are the claims Issue would write, for hand-made tokens.
func goodClaims(now time.Time) claims {
	return claims{
		Role: RoleUser,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   "42",
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
	}
}

func sign(t *testing.T, m jwt.SigningMethod, c claims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueVerify(t *testing.T) {
	pub, priv := newKey(t)
	iss := NewIssuer(priv, 15*time.Minute)
	if iss.TTL() != 15*time.Minute {
		t.Fatalf("TTL = %v", iss.TTL())
	}
	v := NewVerifier(pub)
	tests := []struct {
		name   string
		caller Caller
	}{
		{"user with session", Caller{UserID: 42, Role: RoleUser, SessionID: "s1"}},
		{"admin without session", Caller{UserID: 1, Role: RoleAdmin}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			tok, err := iss.Issue(tt.caller)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.UserID != tt.caller.UserID || got.Role != tt.caller.Role || got.SessionID != tt.caller.SessionID {
				t.Fatalf("Verify = %+v, want %+v", got, tt.caller)
			}
			if got.IssuedAt.Before(before) || got.IssuedAt.After(time.Now()) {
				t.Fatalf("IssuedAt = %v, want about now", got.IssuedAt)
			}
			if got.IsAdmin() != (tt.caller.Role == RoleAdmin) {
				t.Fatalf("IsAdmin = %v", got.IsAdmin())
			}
		})
	}
	// Two tokens for the same caller differ (random jti).
	a, _ := iss.Issue(tests[0].caller)
	b, _ := iss.Issue(tests[0].caller)
	if a == b {
		t.Fatal("two tokens are identical")
	}
}

func TestVerifyRejects(t *testing.T) {
	pub, priv := newKey(t)
	_, otherPriv := newKey(t)
	v := NewVerifier(pub)
	now := time.Now()

	expiredIssuer := NewIssuer(priv, time.Hour)
	expiredIssuer.now = func() time.Time { return now.Add(-2 * time.Hour) }
	expired, err := expiredIssuer.Issue(Caller{UserID: 1, Role: RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	futureIssuer := NewIssuer(priv, time.Hour)
	futureIssuer.now = func() time.Time { return now.Add(time.Hour) }
	future, _ := futureIssuer.Issue(Caller{UserID: 1, Role: RoleUser})
	foreign, _ := NewIssuer(otherPriv, time.Hour).Issue(Caller{UserID: 1, Role: RoleAdmin})

	none := sign(t, jwt.SigningMethodNone, goodClaims(now), jwt.UnsafeAllowNoneSignatureType)
	// The classic confusion: HMAC keyed with the (public) verification key.
	hs256 := sign(t, jwt.SigningMethodHS256, goodClaims(now), []byte(pub))
	hs256Str := sign(t, jwt.SigningMethodHS256, goodClaims(now), []byte(base64.StdEncoding.EncodeToString(pub)))

	with := func(edit func(*claims)) string {
		c := goodClaims(now)
		edit(&c)
		return sign(t, jwt.SigningMethodEdDSA, c, priv)
	}
	// Sanity: the hand-made claims do verify when nothing is wrong, so each
	// rejection below is for the one thing that is.
	if _, err := v.Verify(with(func(*claims) {})); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}

	good, _ := NewIssuer(priv, time.Hour).Issue(Caller{UserID: 7, Role: RoleUser})
	parts := strings.Split(good, ".")
	admin := base64.RawURLEncoding.EncodeToString([]byte(`{"role":"admin","iss":"clouddrive","aud":["clouddrive"],"sub":"7","exp":9999999999,"iat":1}`))

	tests := []struct {
		name  string
		token string
	}{
		{"expired", expired},
		{"issued in the future", future},
		{"signed by another key", foreign},
		{"alg none", none},
		{"HS256 keyed with the public key bytes", hs256},
		{"HS256 keyed with the public key text", hs256Str},
		{"wrong issuer", with(func(c *claims) { c.Issuer = "someone-else" })},
		{"wrong audience", with(func(c *claims) { c.Audience = jwt.ClaimStrings{"other"} })},
		{"no expiry", with(func(c *claims) { c.ExpiresAt = nil })},
		{"subject not a number", with(func(c *claims) { c.Subject = "alice" })},
		{"subject zero", with(func(c *claims) { c.Subject = "0" })},
		{"subject negative", with(func(c *claims) { c.Subject = "-3" })},
		{"tampered payload", parts[0] + "." + admin + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"garbage", "not.a.token"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", c)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error = %v, want ErrInvalidToken", err)
			}
			if c != (Caller{}) {
				t.Fatalf("a rejected token returned a caller %+v", c)
			}
		})
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "keys", "priv.pem"), filepath.Join(dir, "keys", "pub.pem")
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	sk, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !pk.Equal(sk.Public()) {
		t.Fatal("the public key does not match the private key")
	}
	// A second call keeps the existing pair.
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if sk2, _ := LoadPrivateKey(priv); !sk2.Equal(sk) {
		t.Fatal("EnsureKeyPair replaced an existing key")
	}
	tok, err := NewIssuer(sk, time.Minute).Issue(Caller{UserID: 3, Role: RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewVerifier(pk).Verify(tok); err != nil {
		t.Fatalf("token from loaded keys: %v", err)
	}
	// The wrong kind of file is refused.
	if _, err := LoadPrivateKey(pub); err == nil {
		t.Fatal("LoadPrivateKey read a public key")
	}
	if _, err := LoadPublicKey(priv); err == nil {
		t.Fatal("LoadPublicKey read a private key")
	}
	if _, err := LoadPublicKey(filepath.Join(dir, "absent.pem")); err == nil {
		t.Fatal("LoadPublicKey of an absent file succeeded")
	}
}

// Issue times come back exactly, in milliseconds: revocations compare them
// with times kept in milliseconds, and a float of seconds parsed naively
// falls a millisecond short now and then.
func TestIssuedAtRoundTripsInMilliseconds(t *testing.T) {
	pub, priv := newKey(t)
	iss, v := NewIssuer(priv, time.Minute), NewVerifier(pub)
	base := time.Now().Truncate(time.Millisecond)
	for i := 0; i < 1000; i++ {
		at := base.Add(time.Duration(i) * time.Millisecond)
		iss.now = func() time.Time { return at.Add(700 * time.Microsecond) }
		tok, err := iss.Issue(Caller{UserID: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IssuedAt.Equal(at) {
			t.Fatalf("issued at %v, read back as %v", at, c.IssuedAt)
		}
	}
}
