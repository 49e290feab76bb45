package biz

import (
	"strings"
	"testing"

	v1 "clouddrive/api/user/v1"
)

func TestCheckPasswordStrength(t *testing.T) {
	tests := []struct {
		name     string
		password string
		username string
		wantOK   bool
		detail   string // a fragment of the refusal's detail metadata
	}{
		{"empty", "", "alice", false, "at least 8"},
		{"short", "Ab1!xyz", "alice", false, "at least 8"},
		{"too long", strings.Repeat("Ab1", 25), "alice", false, "at most 72"},
		{"only lower case", "abcdefghij", "alice", false, "mix at least two"},
		{"only digits", "1234509876", "alice", false, "mix at least two"},
		{"only symbols", "!@#$%^&*()", "alice", false, "mix at least two"},
		{"common", "password123", "alice", false, "too common"},
		{"common in other case", "PassW0rd", "alice", false, "too common"},
		{"common chinese favourite", "woaini1314", "alice", false, "too common"},
		{"contains username", "xxAlice2024", "alice", false, "username"},
		{"contains username case-insensitively", "my-ALICE-pw", "Alice", false, "username"},
		{"short username is not checked", "bobcat-2024", "bo", true, ""},
		{"good mixed", "Tr0ub4dor&3", "alice", true, ""},
		{"good two classes", "correct horse battery", "alice", true, ""},
		{"exactly 8", "abcdefg1", "alice", true, ""},
		{"exactly 72", strings.Repeat("a1", 36), "alice", true, ""},
		{"unicode letters and digits", "密码很长的密码12", "alice", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordStrength("new_password", tt.password, tt.username)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("refused a good password: %v", err)
				}
				return
			}
			wantReason(t, err, v1.IsWeakPassword, "WEAK_PASSWORD")
			md := metadataOf(err)
			if md["field"] != "new_password" {
				t.Errorf("field = %q, want new_password", md["field"])
			}
			if !strings.Contains(md["detail"], tt.detail) {
				t.Errorf("detail = %q, want it to mention %q", md["detail"], tt.detail)
			}
		})
	}
}

func TestHashPasswordNeverPlaintext(t *testing.T) {
	for _, cost := range []int{0, 4} {
		h, err := hashPassword("Secret-pass1", cost)
		if err != nil {
			t.Fatal(err)
		}
		if h == "Secret-pass1" || strings.Contains(h, "Secret-pass1") || !strings.HasPrefix(h, "$2") {
			t.Fatalf("cost %d: not a bcrypt hash: %q", cost, h)
		}
		if !passwordMatches(h, "Secret-pass1", cost) || passwordMatches(h, "secret-pass1", cost) {
			t.Fatalf("cost %d: hash does not check the password", cost)
		}
	}
	if passwordMatches("", "", 4) {
		t.Fatal("an empty hash (code or GitHub account) must match nothing")
	}
}
