package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// httpPut writes content onto name at the root through the single-request
// upload (the default on_conflict: a new version over an existing file).
func httpPut(t *testing.T, s *server, token, name string, content []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+s.httpAddr+"/v1/upload/file?"+url.Values{"name": {name}}.Encode(), bytes.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %d", name, resp.StatusCode)
	}
}

func TestDriveVersionsAndChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds and runs the standalone binary")
	}
	s := startServer(t)
	if s.cluster {
		t.Skip("writes through the standalone binary's HTTP port")
	}
	alice := s.register(t, "valice")
	s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
	body, _ := json.Marshal(map[string]string{"username": alice.name, "password": alice.password})
	resp, err := http.Post("http://"+s.httpAddr+"/v1/user/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	contents := [][]byte{[]byte("first, the oldest"), []byte("second content!"), []byte("third and current content")}
	for _, c := range contents {
		httpPut(t, s, tok.AccessToken, "a.txt", c)
	}
	list := func() []string {
		t.Helper()
		return lines(s.ok(t, alice, "versions", "/a.txt").out)
	}
	ls := list()
	if len(ls) != 3 || !strings.HasPrefix(ls[0], "current") || !strings.Contains(ls[0], fmt.Sprint(len(contents[2]))) {
		t.Fatalf("versions: %q", ls)
	}
	oldest := strings.Fields(ls[2])[0]
	local := filepath.Join(t.TempDir(), "old.txt")
	s.ok(t, alice, "versions", "get", "/a.txt", oldest, "-o", local)
	if b, _ := os.ReadFile(local); !bytes.Equal(b, contents[0]) {
		t.Fatalf("version %s downloaded as %q", oldest, b)
	}
	s.ok(t, alice, "versions", "restore", "/a.txt", oldest)
	if ls = list(); len(ls) != 4 || !strings.Contains(ls[0], fmt.Sprint(len(contents[0]))) {
		t.Fatalf("after restore: %q", ls)
	}
	if r := s.drive(t, alice, nil, "versions", "get", "/a.txt", "999999", "-o", local); r.code == 0 || !strings.Contains(r.err, "VERSION_NOT_FOUND") {
		t.Errorf("a missing version: %s", r)
	}

	out := lines(s.ok(t, alice, "changes").out)
	want := []string{"1 created /a.txt", "2 version /a.txt", "3 version /a.txt", "4 version_restored /a.txt"}
	if len(out) != len(want)+1 || !strings.HasPrefix(out[len(out)-1], "cursor ") {
		t.Fatalf("changes: %q", out)
	}
	for i, w := range want {
		if out[i] != w {
			t.Errorf("change %d: %q, want %q", i, out[i], w)
		}
	}
	cursor := strings.TrimPrefix(out[len(out)-1], "cursor ")
	if again := lines(s.ok(t, alice, "changes", "-cursor", cursor).out); len(again) != 1 || again[0] != "cursor "+cursor {
		t.Errorf("nothing new: %q", again)
	}
	// -wait returns with the next change.
	done := make(chan result, 1)
	go func() { done <- s.drive(t, alice, nil, "changes", "-wait", "-cursor", cursor) }()
	httpPut(t, s, tok.AccessToken, "b.txt", []byte("new"))
	if r := <-done; r.code != 0 || len(lines(r.out)) != 2 || lines(r.out)[0] != "5 created /b.txt" {
		t.Errorf("changes -wait: %s", r)
	}
}
