package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clouddrive/app/cli/internal/client"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		j    int
		f    bool
		pos  string
		err  bool
	}{
		{[]string{"a", "b"}, 4, false, "a,b", false},
		{[]string{"-j", "8", "a", "b"}, 8, false, "a,b", false},
		{[]string{"a", "-j", "8", "b", "-f"}, 8, true, "a,b", false},
		{[]string{"a", "--", "-j", "b"}, 4, false, "a,-j,b", false},
		{[]string{"-x"}, 4, false, "", true},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		j := fs.Int("j", 4, "")
		f := fs.Bool("f", false, "")
		pos, err := parse(fs, tc.args)
		if (err != nil) != tc.err {
			t.Errorf("parse(%q): %v", tc.args, err)
			continue
		}
		if err == nil && (*j != tc.j || *f != tc.f || strings.Join(pos, ",") != tc.pos) {
			t.Errorf("parse(%q) = %q j=%d f=%v", tc.args, pos, *j, *f)
		}
	}
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		CredentialsPath: filepath.Join(t.TempDir(), "credentials.json")}
	code := a.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"nothing", nil, ExitUsage, "usage: drive"},
		{"help", []string{"help"}, ExitOK, "share a file or folder by link"},
		{"-h", []string{"-h"}, ExitOK, "commands:"},
		{"bad global flag", []string{"-nope"}, ExitUsage, "flag provided but not defined"},
		{"unknown", []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"share needs one path", []string{"share"}, ExitUsage, "share one path"},
		{"share code flags", []string{"share", "-code", "abcd", "-gen-code", "/a"}, ExitUsage, "go apart"},
		{"command help", []string{"put", "-h"}, ExitOK, "usage: drive put"},
		{"put needs a destination", []string{"put", "a"}, ExitUsage, "need local files"},
		{"put -j range", []string{"put", "-j", "0", "a", "/b"}, ExitUsage, "-j must be 1 to 64"},
		{"put a missing file", []string{"put", "/does/not/exist", "/b"}, ExitError, "no such file"},
		{"get nothing", []string{"get"}, ExitUsage, "nothing to get"},
		{"get -j range", []string{"get", "-j", "65", "/a"}, ExitUsage, "-j must be"},
		{"mv one arg", []string{"mv", "/a"}, ExitUsage, "need a source and a destination"},
		{"cp one arg", []string{"cp", "/a"}, ExitUsage, "need a source and a destination"},
		{"rm nothing", []string{"rm"}, ExitUsage, "nothing to remove"},
		{"mkdir nothing", []string{"mkdir"}, ExitUsage, "no folder named"},
		{"ls logged out", []string{"ls"}, ExitError, "not logged in"},
		{"whoami logged out", []string{"whoami"}, ExitError, "not logged in"},
		{"whoami extra", []string{"whoami", "x"}, ExitUsage, "unexpected"},
		{"logout logged out", []string{"logout"}, ExitOK, "not logged in"},
		{"login extra", []string{"login", "-u", "a", "x"}, ExitUsage, "unexpected"},
		{"login without user", []string{"login"}, ExitUsage, "-u USER is required"},
		{"login without password", []string{"login", "-u", "a"}, ExitUsage, "no password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", code, tc.code, out, errs, tc.want)
			}
		})
	}
}

func TestLoginUnreachable(t *testing.T) {
	code, _, errs := run(t, map[string]string{"DRIVE_PASSWORD": "pw", "DRIVE_SERVER": "127.0.0.1:1"}, "login", "-u", "a")
	if code != ExitError || !strings.Contains(errs, "unreachable") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

func TestSessionServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.json")
	st := client.Store{Path: path}
	if err := st.Save(&client.Credentials{Server: "h:1", AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	a := &App{CredentialsPath: path}
	s, err := a.session()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	a.server, a.serverSet = "other:2", true
	if _, err := a.session(); err == nil || !strings.Contains(err.Error(), "not logged in to other:2") {
		t.Errorf("another server: %v", err)
	}
	a = &App{CredentialsPath: filepath.Join(t.TempDir(), "none.json")}
	if _, err := a.session(); !errors.Is(err, client.ErrNotLoggedIn) {
		t.Errorf("no credentials: %v", err)
	}
}

func TestPlan(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	for _, p := range []string{"a.txt", "sub/b.txt", "sub/deeper/c.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(src, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "a.txt"), filepath.Join(src, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "sub"), filepath.Join(src, "linkdir")); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	a := &App{Stderr: &errb}
	items, err := a.plan(src, "/dst")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		kind := "d"
		if it.local != "" {
			kind = "f"
		}
		got = append(got, kind+":"+it.remoteDir+"|"+it.name)
	}
	want := "d:/dst|src,f:/dst/src|a.txt,d:/dst/src|empty,f:/dst/src|link.txt,d:/dst/src|sub,f:/dst/src/sub|b.txt,d:/dst/src/sub|deeper,f:/dst/src/sub/deeper|c.txt"
	if strings.Join(got, ",") != want {
		t.Errorf("plan:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	if !strings.Contains(errb.String(), "skipping") || !strings.Contains(errb.String(), "linkdir") {
		t.Errorf("the link to a folder was not reported: %q", errb.String())
	}
	items, err = a.plan(filepath.Join(src, "a.txt"), "/x")
	if err != nil || len(items) != 1 || items[0].remoteDir != "/x" || items[0].name != "a.txt" || items[0].size != 5 {
		t.Errorf("plan of a file: %+v %v", items, err)
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{"a.txt": true, "": false, ".": false, "..": false, "a/b": false, "a\x00": false, "中文 (1).txt": true} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %v", name, got)
		}
	}
}

func TestReadLine(t *testing.T) {
	r := strings.NewReader("alice\r\nrest")
	if got, err := readLine(r); err != nil || got != "alice" {
		t.Errorf("readLine = %q, %v", got, err)
	}
	if got, err := readLine(r); err != nil || got != "rest" {
		t.Errorf("readLine at EOF = %q, %v", got, err)
	}
	if _, err := readLine(r); err == nil {
		t.Error("readLine of nothing")
	}
}
