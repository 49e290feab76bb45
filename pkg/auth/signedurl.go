package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// URLSigner signs download URLs: an HMAC over the path, the user and the
// expiry, so a browser can fetch bytes without a long-lived token in the URL.
type URLSigner struct {
	key []byte
	now func() time.Time
}

// NewURLSigner returns a signer with the given secret.
func NewURLSigner(secret []byte) *URLSigner {
	return &URLSigner{key: secret, now: time.Now}
}

// Errors returned by Verify.
var (
	ErrURLExpired   = errors.New("signed url expired")
	ErrURLSignature = errors.New("signed url signature mismatch")
)

// Sign returns path with uid, exp and sig query parameters appended.
func (s *URLSigner) Sign(path string, userID int64, ttl time.Duration) string {
	exp := s.now().Add(ttl).Unix()
	q := url.Values{}
	q.Set("uid", strconv.FormatInt(userID, 10))
	q.Set("exp", strconv.FormatInt(exp, 10))
	q.Set("sig", s.mac(path, userID, exp))
	return path + "?" + q.Encode()
}

// Verify checks the query of a signed path and returns the user it was signed for.
func (s *URLSigner) Verify(path string, q url.Values) (int64, error) {
	uid, err1 := strconv.ParseInt(q.Get("uid"), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ErrURLSignature
	}
	if !hmac.Equal([]byte(s.mac(path, uid, exp)), []byte(q.Get("sig"))) {
		return 0, ErrURLSignature
	}
	if s.now().Unix() > exp {
		return 0, ErrURLExpired
	}
	return uid, nil
}

func (s *URLSigner) mac(path string, uid, exp int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(path))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(uid, 10)))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
