package auth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURLSigner(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewURLSigner([]byte("secret"))
	s.now = func() time.Time { return now }

	signed := s.Sign("/v1/download/file", url.Values{"id": {"7"}, "inline": {"1"}}, 42, time.Minute)
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/v1/download/file" || u.Query().Get("id") != "7" {
		t.Fatalf("signed path = %q", u.Path)
	}
	good := u.Query()
	set := func(k, v string) url.Values {
		q := url.Values{}
		for key, vs := range good {
			q[key] = append([]string(nil), vs...)
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	other := NewURLSigner([]byte("other secret"))
	other.now = s.now

	tests := []struct {
		name    string
		signer  *URLSigner
		at      time.Time
		path    string
		query   url.Values
		wantUID int64
		wantErr error
	}{
		{"valid", s, now, u.Path, good, 42, nil},
		{"valid until the last second", s, now.Add(time.Minute), u.Path, good, 42, nil},
		{"expired", s, now.Add(time.Minute + time.Second), u.Path, good, 0, ErrURLExpired},
		{"other path", s, now, "/v1/download/zip", good, 0, ErrURLSignature},
		{"other file", s, now, u.Path, set("id", "8"), 0, ErrURLSignature},
		{"parameter dropped", s, now, u.Path, set("inline", ""), 0, ErrURLSignature},
		{"parameter added", s, now, u.Path, func() url.Values { q := set("x", "1"); return q }(), 0, ErrURLSignature},
		{"other user", s, now, u.Path, set("uid", "43"), 0, ErrURLSignature},
		{"expiry pushed back", s, now, u.Path, set("exp", "9999999999"), 0, ErrURLSignature},
		{"signature altered", s, now, u.Path, set("sig", strings.Repeat("A", len(good.Get("sig")))), 0, ErrURLSignature},
		{"no signature", s, now, u.Path, set("sig", ""), 0, ErrURLSignature},
		{"no user", s, now, u.Path, set("uid", ""), 0, ErrURLSignature},
		{"no expiry", s, now, u.Path, set("exp", ""), 0, ErrURLSignature},
		{"signing time moved", s, now, u.Path, set("iat", "9999999999999"), 0, ErrURLSignature},
		{"no signing time", s, now, u.Path, set("iat", ""), 0, ErrURLSignature},
		{"another secret", other, now, u.Path, good, 0, ErrURLSignature},
		{"empty query", s, now, u.Path, url.Values{}, 0, ErrURLSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			tt.signer.now = func() time.Time { return at }
			defer func() { tt.signer.now = func() time.Time { return now } }()
			got, err := tt.signer.Verify(tt.path, tt.query)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if got.UserID != tt.wantUID {
				t.Fatalf("Verify uid = %d, want %d", got.UserID, tt.wantUID)
			}
			if err == nil && !got.SignedAt.Equal(now) {
				t.Fatalf("Verify signed at = %v, want %v", got.SignedAt, now)
			}
		})
	}
}

// A URL never outlives MaxURLTTL, whatever its signer asks: revocation
// records are kept just that long.
func TestURLSignerCapsTTL(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewURLSigner([]byte("secret"))
	s.now = func() time.Time { return now }
	u, _ := url.Parse(s.Sign("/p", nil, 1, 30*24*time.Hour))
	s.now = func() time.Time { return now.Add(MaxURLTTL + time.Second) }
	if _, err := s.Verify("/p", u.Query()); !errors.Is(err, ErrURLExpired) {
		t.Fatalf("a URL asked to live 30 days still works past MaxURLTTL: %v", err)
	}
}

// The separators keep fields apart: path "/a" with id=12 and path "/a1"
// with id=2 must not share a signature.
func TestURLSignerFieldsDoNotRunTogether(t *testing.T) {
	s := NewURLSigner([]byte("k"))
	if s.mac("/a", url.Values{"id": {"12"}}) == s.mac("/a1", url.Values{"id": {"2"}}) {
		t.Fatal("different (path, params) pairs share a MAC")
	}
}
