package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
)

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"}, "/x/cfg/clouddrive/credentials.json"},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.config/clouddrive/credentials.json"},
		{"relative xdg is ignored", map[string]string{"XDG_CONFIG_HOME": "cfg", "HOME": "/home/u"}, "/home/u/.config/clouddrive/credentials.json"},
	}
	for _, tc := range tests {
		got, err := DefaultPath(env(tc.env))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestStore(t *testing.T) {
	st := Store{Path: filepath.Join(t.TempDir(), "a", "b", "credentials.json")}
	if _, err := st.Load(); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Load of nothing: %v", err)
	}
	c := &Credentials{Server: "h:1", Username: "u", AccessToken: "at", RefreshToken: "rt", ExpiresAt: time.Unix(1e9, 0).UTC()}
	if err := st.Save(c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(st.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(st.Path)); di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v", di.Mode().Perm())
	}
	got, err := st.Load()
	if err != nil || *got != *c {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	// Saving again keeps no temporary files behind.
	if err := st.Save(c); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(st.Path), ".credentials-*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if err := os.WriteFile(st.Path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); err == nil || errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("Load of a broken file: %v", err)
	}
	if err := st.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(); err != nil {
		t.Errorf("Remove twice: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{context.Canceled, "interrupted"},
		{fmt.Errorf("wrapped: %w", context.Canceled), "interrupted"},
		{errors.New("plain"), "plain"},
		{filev1.ErrorNameConflict("a name is taken"), "a name is taken (NAME_CONFLICT)"},
		{storagev1.ErrorProofRejected("no"), "no (PROOF_REJECTED)"},
		{commonv1.ErrorUnauthenticated("who?"), "who? (UNAUTHENTICATED)"},
	}
	for _, tc := range tests {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if Describe(nil) != "" {
		t.Error("Describe(nil)")
	}
	if !IsUnauthenticated(commonv1.ErrorTokenRevoked("gone")) || IsUnauthenticated(errors.New("x")) {
		t.Error("IsUnauthenticated")
	}
}

func TestExpiresAt(t *testing.T) {
	now := time.Unix(1000, 0)
	if got := ExpiresAt(now, 900); !got.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("ExpiresAt = %v", got)
	}
	if !ExpiresAt(now, 0).IsZero() {
		t.Error("unknown expiry must be zero")
	}
}

func TestPublic(t *testing.T) {
	if !public(userv1.User_Login_FullMethodName) || !public(userv1.User_Refresh_FullMethodName) {
		t.Error("login and refresh carry no token")
	}
	if public(userv1.User_Me_FullMethodName) || public(filev1.File_List_FullMethodName) {
		t.Error("other calls carry the token")
	}
}

func TestOpenAnonymous(t *testing.T) {
	s, err := Open(Options{Server: "127.0.0.1:1", Store: Store{Path: filepath.Join(t.TempDir(), "c.json")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Credentials() != nil {
		t.Error("an anonymous session has no credentials")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = s.User.Me(ctx, &userv1.MeRequest{})
	if err == nil || !strings.Contains(Describe(err), "unreachable") {
		t.Errorf("a call to nowhere: %v (%s)", err, Describe(err))
	}
}
