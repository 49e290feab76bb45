package auth

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// A remembered token is served only while the full check would pass it:
// past its expiry (and the leeway) it is refused as before, and another
// token (one character off) is checked in full.
func TestVerifiedTokensExpire(t *testing.T) {
	pub, priv := newKey(t)
	t0 := time.Now().Truncate(time.Second)
	iss := NewIssuer(priv, time.Hour)
	iss.now = func() time.Time { return t0 }
	tok, err := iss.Issue(Caller{UserID: 9, Role: RoleUser, SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(pub)
	at := func(d time.Duration) (Caller, error) {
		v.now = func() time.Time { return t0.Add(d) }
		return v.Verify(tok)
	}
	first, err := at(time.Minute)
	if err != nil || first.UserID != 9 {
		t.Fatalf("fresh token: %+v, %v", first, err)
	}
	if c, err := at(2 * time.Minute); err != nil || c != first {
		t.Fatalf("the same token again: %+v, %v; want %+v", c, err, first)
	}
	// Just past expiry, inside the leeway: the full check still passes it.
	if _, err := at(time.Hour + 2*time.Second); err != nil {
		t.Fatalf("inside the leeway: %v", err)
	}
	if c, err := at(time.Hour + time.Minute); !errors.Is(err, ErrInvalidToken) || c != (Caller{}) {
		t.Fatalf("expired token: %+v, %v; want ErrInvalidToken", c, err)
	}
	// Remembered again, then a forgery one character off.
	v.now = func() time.Time { return t0.Add(time.Minute) }
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	b := []byte(tok) // the last character may carry only padding bits: the one before
	if i := len(b) - 2; b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	if _, err := v.Verify(string(b)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a token one character off: %v; want ErrInvalidToken", err)
	}
}

func TestVerifiedTokensBounded(t *testing.T) {
	var seen verified
	exp := time.Now().Add(time.Hour)
	for i := 0; i <= verifiedCap; i++ {
		seen.put("t"+strconv.Itoa(i), Caller{UserID: int64(i + 1)}, exp)
	}
	if n := len(seen.m); n == 0 || n > verifiedCap {
		t.Fatalf("%d tokens remembered, want 1..%d", n, verifiedCap)
	}
	if c, ok := seen.get("t"+strconv.Itoa(verifiedCap), time.Now()); !ok || c.UserID != verifiedCap+1 {
		t.Fatalf("the latest token is not remembered: %+v %v", c, ok)
	}
}

// BenchmarkVerify: a token checked in full (first use) and remembered
// (every later call with it).
func BenchmarkVerify(b *testing.B) {
	pub, priv := newKey(b)
	tok, err := NewIssuer(priv, time.Hour).Issue(Caller{UserID: 9, Role: RoleUser, SessionID: "s"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			v := NewVerifier(pub)
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		v := NewVerifier(pub)
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
