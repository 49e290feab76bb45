package biz

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestCodeHash(t *testing.T) {
	k, err := NewKeys([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	h := k.hashCode("tokA", "ab12")
	tests := []struct {
		name, token, code string
		want              bool
	}{
		{"same", "tokA", "ab12", true},
		{"case-insensitive", "tokA", "AB12", true},
		{"surrounding spaces", "tokA", " ab12 ", true},
		{"wrong code", "tokA", "ab13", false},
		{"empty code", "tokA", "", false},
		{"another share", "tokB", "ab12", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.codeMatches(tt.token, tt.code, h); got != tt.want {
				t.Fatalf("codeMatches(%q, %q) = %v, want %v", tt.token, tt.code, got, tt.want)
			}
		})
	}
	other, _ := NewKeys([]byte("another secret of 16+ bytes"))
	if other.codeMatches("tokA", "ab12", h) {
		t.Fatal("a hash made with another secret matched")
	}
	if bytes.Contains(h, []byte("ab12")) || len(h) != 32 {
		t.Fatalf("hash %x", h)
	}
}

func TestSealedCode(t *testing.T) {
	k, _ := NewKeys([]byte("0123456789abcdef"))
	sealed, err := k.sealCode("tokA", "ab12")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("ab12")) {
		t.Fatal("the code is stored in clear")
	}
	if got, err := k.openCode("tokA", sealed); err != nil || got != "ab12" {
		t.Fatalf("openCode = %q, %v", got, err)
	}
	if _, err := k.openCode("tokB", sealed); err == nil {
		t.Fatal("a sealed code opened for another share")
	}
	other, _ := NewKeys([]byte("another secret of 16+ bytes"))
	if _, err := other.openCode("tokA", sealed); err == nil {
		t.Fatal("a sealed code opened with another secret")
	}
	again, _ := k.sealCode("tokA", "ab12")
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one code are equal: the nonce is not random")
	}
}

func TestAccessToken(t *testing.T) {
	k, _ := NewKeys([]byte("0123456789abcdef"))
	now := testNow
	tok := k.signAccess("tokA", now, now.Add(30*time.Minute))
	forged := func(s string) string { return s[:len(s)-2] + "xx" }
	other, _ := NewKeys([]byte("another secret of 16+ bytes"))
	tests := []struct {
		name   string
		keys   *Keys
		access string
		at     time.Time
		want   string
	}{
		{"fresh", k, tok, now, "tokA"},
		{"just before expiry", k, tok, now.Add(30*time.Minute - time.Second), "tokA"},
		{"expired", k, tok, now.Add(30 * time.Minute), ""},
		{"issued in the future", k, k.signAccess("tokA", now.Add(time.Hour), now.Add(2*time.Hour)), now, ""},
		{"forged mac", k, forged(tok), now, ""},
		{"another share's body", k, strings.Replace(tok, "tokA", "tokB", 1), now, ""},
		{"another secret", other, tok, now, ""},
		{"empty", k, "", now, ""},
		{"garbage", k, "a.b.c.d", now, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.keys.verifyAccess(tt.access, tt.at)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("verifyAccess = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestNewKeysNeedsALongSecret(t *testing.T) {
	if _, err := NewKeys([]byte("short")); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

func TestTokensAndCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, err := newToken()
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) < 16 {
			t.Fatalf("token %q: %d bytes, %v (want ≥ 128 bits of base64url)", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatalf("token %q twice", tok)
		}
		seen[tok] = true
		code, err := newCode()
		if err != nil || !validCode(code) {
			t.Fatalf("code %q, %v", code, err)
		}
	}
}
