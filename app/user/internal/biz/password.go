package biz

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	v1 "clouddrive/api/user/v1"
)

// commonPasswords are refused whatever their character classes.
var commonPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "12345678": true,
	"123456789": true, "1234567890": true, "qwerty123": true, "qwertyuiop": true,
	"11111111": true, "88888888": true, "abc12345": true, "abcd1234": true,
	"iloveyou": true, "1q2w3e4r": true, "a1234567": true, "woaini1314": true,
	"passw0rd": true, "admin123": true, "letmein1": true, "welcome1": true,
}

// CheckPasswordStrength refuses passwords that are easy to guess: too short,
// one class of characters, well known, or containing the username.
func CheckPasswordStrength(field, password, username string) error {
	if len(password) < 8 {
		return weak(field, "min_length", "at least 8 characters")
	}
	if len(password) > 72 {
		return weak(field, "max_length", "at most 72 bytes")
	}
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 2 {
		return weak(field, "classes", "mix at least two of: lower case, upper case, digits, symbols")
	}
	lp := strings.ToLower(password)
	if commonPasswords[lp] {
		return weak(field, "common", "this password is too common")
	}
	if u := strings.ToLower(username); len(u) >= 3 && strings.Contains(lp, u) {
		return weak(field, "contains_username", "the password must not contain the username")
	}
	return nil
}

// weak names the rule broken (metadata.rule) beside the English detail, so
// the Chinese message can say the same thing in Chinese.
func weak(field, rule, why string) error {
	return v1.ErrorWeakPassword("password too weak: %s", why).
		WithMetadata(map[string]string{"field": field, "rule": rule, "detail": why})
}

// dummyHashes holds, per bcrypt cost, a hash compared against when the user
// does not exist, so that an unknown user and a wrong password take the
// same time (the cost decides the time, so it must match the config's).
var dummyHashes sync.Map

func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("clouddrive-timing-equalizer"), cost)
	dummyHashes.Store(cost, h)
	return h
}

func hashPassword(pw string, cost int) (string, error) {
	if cost < bcrypt.MinCost {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

func passwordMatches(hash, pw string, cost int) bool {
	if hash == "" {
		if cost < bcrypt.MinCost {
			cost = bcrypt.DefaultCost
		}
		_ = bcrypt.CompareHashAndPassword(dummyHash(cost), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
