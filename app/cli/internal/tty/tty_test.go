package tty

import (
	"os"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"secret\nrest", "secret", false},
		{"secret\r\n", "secret", false},
		{"no newline", "no newline", false},
		{"\n", "", false},
		{"", "", true},
	}
	for _, tc := range tests {
		r := strings.NewReader(tc.in)
		got, err := readLine(r)
		if (err != nil) != tc.err || string(got) != tc.want {
			t.Errorf("readLine(%q) = %q, %v", tc.in, got, err)
		}
	}
	// Only the line is consumed.
	r := strings.NewReader("a\nb\n")
	_, _ = readLine(r)
	if r.Len() != 2 {
		t.Errorf("readLine consumed past the newline: %d left", r.Len())
	}
}

func TestNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f.Fd()) {
		t.Error("a regular file is not a terminal")
	}
	if Width(f.Fd()) != 0 {
		t.Error("a regular file has no width")
	}
	if _, err := ReadPassword(f.Fd()); err == nil {
		t.Error("ReadPassword on a regular file should fail")
	}
}
