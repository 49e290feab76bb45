package biz

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Keys are the share service's secrets, each derived from the configured
// secret with HKDF-SHA256 under its own label, so that no key serves two
// purposes.
//
// Extraction codes are kept twice: an HMAC-SHA256 (keyed, so a leaked table
// alone cannot be brute-forced offline through the 36⁴ codes) that visitors'
// codes are compared with in constant time, and an AES-256-GCM ciphertext
// that only the owner's listings decrypt (owners see their codes again, as
// on Baidu). bcrypt would add nothing here: anyone holding the key can
// decrypt the stored code anyway, and a slow hash on a public endpoint is a
// CPU lever for whoever sends wrong codes.
type Keys struct {
	code   []byte
	access []byte
	seal   cipher.AEAD
}

// MinSecretBytes is the shortest secret NewKeys accepts.
const MinSecretBytes = 16

// NewKeys derives the keys from secret.
func NewKeys(secret []byte) (*Keys, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("share: the secret must hold at least %d bytes", MinSecretBytes)
	}
	derive := func(label string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, "clouddrive/share/"+label, 32)
	}
	k := &Keys{}
	var err error
	if k.code, err = derive("code-hmac"); err != nil {
		return nil, err
	}
	if k.access, err = derive("access-token"); err != nil {
		return nil, err
	}
	sealKey, err := derive("code-seal")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	if k.seal, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return k, nil
}

// NormalizeCode is how codes are compared: case-insensitively, as people
// read them out to each other.
func NormalizeCode(code string) string { return strings.ToLower(strings.TrimSpace(code)) }

// hashCode binds the code to its share, so equal codes of two shares differ.
func (k *Keys) hashCode(token, code string) []byte {
	m := hmac.New(sha256.New, k.code)
	m.Write([]byte(token))
	m.Write([]byte{0})
	m.Write([]byte(NormalizeCode(code)))
	return m.Sum(nil)
}

// codeMatches compares in constant time.
func (k *Keys) codeMatches(token, code string, hash []byte) bool {
	return hmac.Equal(k.hashCode(token, code), hash)
}

// sealCode encrypts a code for its owner's eyes; the token is the
// additional data, so a ciphertext copied to another share does not open.
func (k *Keys) sealCode(token, code string) ([]byte, error) {
	nonce := make([]byte, k.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return k.seal.Seal(nonce, nonce, []byte(code), []byte(token)), nil
}

func (k *Keys) openCode(token string, sealed []byte) (string, error) {
	n := k.seal.NonceSize()
	if len(sealed) < n {
		return "", errors.New("share: sealed code too short")
	}
	b, err := k.seal.Open(nil, sealed[:n], sealed[n:], []byte(token))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// A share access token is "<share token>.<issued at>.<expires>.<mac>", the
// times in Unix seconds and the mac an HMAC-SHA256 of the rest.
func (k *Keys) signAccess(token string, iat, exp time.Time) string {
	body := token + "." + strconv.FormatInt(iat.Unix(), 10) + "." + strconv.FormatInt(exp.Unix(), 10)
	return body + "." + base64.RawURLEncoding.EncodeToString(k.accessMAC(body))
}

func (k *Keys) accessMAC(body string) []byte {
	m := hmac.New(sha256.New, k.access)
	m.Write([]byte("share-access\x00"))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// clockSkew is how far in the future an issue time may be (instances'
// clocks differ a little).
const clockSkew = time.Minute

// verifyAccess returns the share token of a valid, unexpired access token.
func (k *Keys) verifyAccess(s string, now time.Time) (string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", false
	}
	body := s[:i]
	mac, err := base64.RawURLEncoding.DecodeString(s[i+1:])
	if err != nil || !hmac.Equal(mac, k.accessMAC(body)) {
		return "", false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 || parts[0] == "" {
		return "", false
	}
	iat, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || now.Unix() >= exp || iat > now.Add(clockSkew).Unix() {
		return "", false
	}
	return parts[0], true
}

// newToken is a share's link token: 128 random bits, base64url (22 characters).
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const codeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newCode is a random 4-character extraction code.
func newCode() (string, error) {
	var b strings.Builder
	for range 4 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		if err != nil {
			return "", err
		}
		b.WriteByte(codeAlphabet[n.Int64()])
	}
	return b.String(), nil
}
