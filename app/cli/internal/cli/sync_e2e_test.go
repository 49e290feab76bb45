package cli_test

// End to end tests of drive sync against the standalone binary: two synced
// folders of one account converge after concurrent changes on both sides
// (with conflict copies where both edited one file), also after a kill -9
// of the real drive binary mid-sync; and a first sync of a tree half of
// which is stored already (under another account) sends only the rest.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// tree is a local folder's content: relative path → "dir" or the SHA-256
// of the file; the sync's own folder is left out.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == ".drive-sync" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTree fails when two folders differ, listing the differences.
func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	var diff []string
	for p, v := range a {
		if w, ok := b[p]; !ok {
			diff = append(diff, "only in the first: "+p)
		} else if v != w {
			diff = append(diff, "differs: "+p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diff = append(diff, "only in the second: "+p)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("%s: the trees differ:\n%s", what, strings.Join(diff, "\n"))
	}
}

func writeText(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// conflictCopies are the conflict copies of name ("both.txt") in dir.
func conflictCopies(t *testing.T, dir, stem, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, stem+" (conflict from *)"+ext))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// syncOK runs one drive sync of dir with /sync as device dev.
func (s *server) syncOK(t *testing.T, u *user, dir, dev string) result {
	t.Helper()
	return s.ok(t, u, "sync", "-device", dev, dir, "/sync")
}

func TestSyncTwoFolders(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds and runs the standalone binary")
	}
	s := startServer(t)
	alice := s.register(t, "alice")
	s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
	A, B := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")

	// The first tree, made in A.
	writeText(t, filepath.Join(A, "a.txt"), "a v1")
	writeText(t, filepath.Join(A, "b.txt"), "b v1")
	writeText(t, filepath.Join(A, "both.txt"), "both v1")
	writeText(t, filepath.Join(A, "docs", "c.txt"), "c v1")
	writeText(t, filepath.Join(A, "docs", "d.txt"), "d v1")
	writeText(t, filepath.Join(A, "old", "e.txt"), "e v1")
	writeText(t, filepath.Join(A, "mv", "m.txt"), "m v1")
	writeRandom(t, filepath.Join(A, "photos", "p1.bin"), 300_000)
	if err := os.MkdirAll(filepath.Join(A, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("first sync", func(t *testing.T) {
		r := s.syncOK(t, alice, A, "laptop")
		if !strings.Contains(r.out, "8 upload") || !strings.Contains(r.out, "0 failed; the drive folder listed") {
			t.Errorf("first sync of A:\n%s", r)
		}
		r = s.syncOK(t, alice, B, "desktop")
		if r.stats.BytesSent.Load() != 0 || !strings.Contains(r.out, "8 download") {
			t.Errorf("first sync of B:\n%s", r)
		}
		sameTree(t, "A and B", tree(t, A), tree(t, B))
		// Nothing changed: nothing to do, known from the change feed
		// without listing the folder.
		if r := s.syncOK(t, alice, A, "laptop"); !strings.Contains(r.out, "nothing to do, 0 failed\n") {
			t.Errorf("a second sync of A:\n%s", r)
		}
	})

	t.Run("dry run", func(t *testing.T) {
		writeText(t, filepath.Join(A, "planned.txt"), "plan")
		r := s.ok(t, alice, "sync", "-dry-run", A, "/sync")
		if !strings.Contains(r.out, "would upload planned.txt") {
			t.Errorf("dry run:\n%s", r)
		}
		if err := os.Remove(filepath.Join(A, "planned.txt")); err != nil {
			t.Fatal(err)
		}
		if r := s.syncOK(t, alice, A, "laptop"); !strings.Contains(r.out, "nothing to do") {
			t.Errorf("the dry run changed something:\n%s", r)
		}
	})

	t.Run("concurrent changes", func(t *testing.T) {
		// On A: create, edit, rename, move, delete, rename a folder, edit both.txt.
		writeText(t, filepath.Join(A, "new-a.txt"), "new on A")
		writeText(t, filepath.Join(A, "a.txt"), "a v2 from A")
		mustRename(t, filepath.Join(A, "b.txt"), filepath.Join(A, "b-renamed.txt"))
		mustRename(t, filepath.Join(A, "docs", "c.txt"), filepath.Join(A, "photos", "c.txt"))
		if err := os.Remove(filepath.Join(A, "old", "e.txt")); err != nil {
			t.Fatal(err)
		}
		mustRename(t, filepath.Join(A, "mv"), filepath.Join(A, "mv2"))
		writeText(t, filepath.Join(A, "both.txt"), "both v2 from A")
		// On B: create in a new folder, edit, rename, delete a folder, edit both.txt.
		writeText(t, filepath.Join(B, "new-b", "x.txt"), "new on B")
		writeText(t, filepath.Join(B, "docs", "d.txt"), "d v2 from B")
		mustRename(t, filepath.Join(B, "photos", "p1.bin"), filepath.Join(B, "photos", "p1-renamed.bin"))
		if err := os.RemoveAll(filepath.Join(B, "old")); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(B, "empty")); err != nil {
			t.Fatal(err)
		}
		writeText(t, filepath.Join(B, "both.txt"), "both v2 from B")

		ra := s.syncOK(t, alice, A, "laptop")
		rb := s.syncOK(t, alice, B, "desktop")
		ra2 := s.syncOK(t, alice, A, "laptop")
		for _, want := range []string{"move on drive b.txt → b-renamed.txt", "move on drive docs/c.txt → photos/c.txt", "move on drive mv → mv2"} {
			if !strings.Contains(ra.out, want) {
				t.Errorf("A's sync lacks %q:\n%s", want, ra)
			}
		}
		for _, want := range []string{"move locally b.txt → b-renamed.txt", "move locally mv → mv2", "move on drive photos/p1.bin → photos/p1-renamed.bin", "conflict both.txt"} {
			if !strings.Contains(rb.out, want) {
				t.Errorf("B's sync lacks %q:\n%s", want, rb)
			}
		}
		if !strings.Contains(ra2.out, "move locally photos/p1.bin → photos/p1-renamed.bin") {
			t.Errorf("A's second sync:\n%s", ra2)
		}
		// Renames and moves send no bytes: only the edits and new files go up.
		if got := rb.stats.BytesSent.Load(); got > int64(len("new on B")+len("d v2 from B")+len("both v2 from B")) {
			t.Errorf("B sent %d bytes", got)
		}

		ta, tb := tree(t, A), tree(t, B)
		sameTree(t, "A and B", ta, tb)
		C := filepath.Join(t.TempDir(), "C")
		s.syncOK(t, alice, C, "tablet")
		sameTree(t, "A and the drive", ta, tree(t, C))

		want := map[string]string{
			"a.txt": "a v2 from A", "b-renamed.txt": "b v1", "new-a.txt": "new on A", "photos/c.txt": "c v1",
			"docs/d.txt": "d v2 from B", "mv2/m.txt": "m v1", "new-b/x.txt": "new on B", "both.txt": "both v2 from A",
		}
		for p, content := range want {
			if got := readText(t, filepath.Join(A, p)); got != content {
				t.Errorf("%s: %q, want %q", p, got, content)
			}
		}
		for _, gone := range []string{"b.txt", "docs/c.txt", "old", "mv", "photos/p1.bin", "empty"} {
			if _, ok := ta[gone]; ok {
				t.Errorf("%s is still there", gone)
			}
		}
		if _, ok := ta["photos/p1-renamed.bin"]; !ok {
			t.Error("photos/p1-renamed.bin is missing")
		}
		cps := conflictCopies(t, A, "both", ".txt")
		if len(cps) != 1 || !strings.Contains(cps[0], "conflict from desktop") || readText(t, cps[0]) != "both v2 from B" {
			t.Errorf("conflict copies of both.txt: %v", cps)
		}
		// B's deletions are in its local trash... no: B deleted them itself.
		// A's deletion of old/e.txt reached B as a delete too; the drive's
		// trash holds it.
		r := s.ok(t, alice, "ls", "/sync")
		if strings.Contains(r.out, "old") {
			t.Errorf("old/ is still on the drive: %s", r.out)
		}
	})

	t.Run("remote delete goes to the local trash", func(t *testing.T) {
		s.ok(t, alice, "rm", "/sync/new-a.txt")
		s.syncOK(t, alice, A, "laptop")
		if _, err := os.Stat(filepath.Join(A, "new-a.txt")); !os.IsNotExist(err) {
			t.Fatalf("new-a.txt is still in A: %v", err)
		}
		m, _ := filepath.Glob(filepath.Join(A, ".drive-sync", "trash", "*", "new-a.txt"))
		if len(m) != 1 || readText(t, m[0]) != "new on A" {
			t.Errorf("new-a.txt in the local trash: %v", m)
		}
		s.syncOK(t, alice, B, "desktop")
		sameTree(t, "A and B", tree(t, A), tree(t, B))
	})

	t.Run("kill -9 mid-sync", func(t *testing.T) {
		bin := driveBinary(t)
		// Much to do on both sides.
		for i := 0; i < 30; i++ {
			writeRandom(t, filepath.Join(A, "bulk", fmt.Sprintf("f%02d.bin", i)), 200_000)
		}
		writeRandom(t, filepath.Join(A, "big.bin"), bigSize)
		writeText(t, filepath.Join(B, "docs", "d.txt"), "d v3 from B")
		writeText(t, filepath.Join(B, "a.txt"), "a v3 from B")
		writeText(t, filepath.Join(A, "a.txt"), "a v3 from A")

		// A is killed after its first upload, and synced again.
		killed := s.killSyncAfter(t, bin, alice, A, "laptop", "put ")
		if killed == "" {
			t.Fatal("A's sync ended before it could be killed")
		}
		ra := s.syncOK(t, alice, A, "laptop")
		if !strings.Contains(ra.out, "put /sync/bulk/") {
			t.Errorf("A's sync after the kill uploaded nothing; was it killed mid-sync?\n%s", ra)
		}
		// B is killed after its first download, and synced again.
		killed = s.killSyncAfter(t, bin, alice, B, "desktop", "get ")
		if killed == "" {
			t.Fatal("B's sync ended before it could be killed")
		}
		rb := s.syncOK(t, alice, B, "desktop")
		if !strings.Contains(rb.out, "get /sync/") {
			t.Errorf("B's sync after the kill downloaded nothing; was it killed mid-sync?\n%s", rb)
		}
		ra3 := s.syncOK(t, alice, A, "laptop")
		t.Logf("B killed at %q\nB after:\n%s\nA after:\n%s", killed, rb.out, ra3.out)

		ta := tree(t, A)
		sameTree(t, "A and B after kill -9", ta, tree(t, B))
		C := filepath.Join(t.TempDir(), "C2")
		s.syncOK(t, alice, C, "tablet")
		sameTree(t, "A and the drive after kill -9", ta, tree(t, C))
		if n := len(conflictCopies(t, A, "a", ".txt")); n != 1 {
			t.Errorf("%d conflict copies of a.txt, want 1", n)
		}
		if readText(t, filepath.Join(A, "docs", "d.txt")) != "d v3 from B" {
			t.Error("B's edit of docs/d.txt was lost")
		}
		if _, ok := ta["bulk/f29.bin"]; !ok {
			t.Error("bulk/f29.bin is missing")
		}
	})
}

var (
	driveBinOnce sync.Once
	driveBin     string
	driveBinErr  error
)

// driveBinary builds app/cli/cmd/drive once per test process.
func driveBinary(t *testing.T) string {
	t.Helper()
	driveBinOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			driveBinErr = err
			return
		}
		// Beside the standalone binary, whose folder TestMain removes.
		driveBin = filepath.Join(filepath.Dir(standalone(t)), "drive")
		cmd := exec.Command("go", "build", "-o", driveBin, "./app/cli/cmd/drive")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
		if b, err := cmd.CombinedOutput(); err != nil {
			driveBinErr = fmt.Errorf("go build ./app/cli/cmd/drive: %v\n%s", err, b)
		}
	})
	if driveBinErr != nil {
		t.Fatal(driveBinErr)
	}
	return driveBin
}

// killSyncAfter runs the real drive binary's sync of dir and kills it
// (SIGKILL) as soon as a line of its output starts with prefix; it returns
// that line ("" when the sync ended first).
func (s *server) killSyncAfter(t *testing.T, bin string, u *user, dir, dev, prefix string) string {
	t.Helper()
	cmd := exec.Command(bin, "sync", "-device", dev, dir, "/sync")
	cmd.Env = append(os.Environ(), "DRIVE_SERVER="+s.grpcAddr,
		"XDG_CONFIG_HOME="+filepath.Dir(filepath.Dir(u.creds)))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			line = sc.Text()
			_ = cmd.Process.Kill()
			break
		}
	}
	_, _ = io.Copy(io.Discard, out)
	_ = cmd.Wait()
	return line
}

// TestSyncFirstRunHalfStored: 1,000 files, 500 of them stored already under
// another account; the first sync sends only the other 500's bytes. The
// time and bytes are logged for docs/BENCHMARKS.md.
func TestSyncFirstRunHalfStored(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds and runs the standalone binary")
	}
	s := startServer(t)
	alice, bob := s.register(t, "alice"), s.register(t, "bob")
	s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
	s.ok(t, bob, "login", "-u", bob.name, "-p", bob.password)

	root := t.TempDir()
	local, bobs := filepath.Join(root, "tree"), filepath.Join(root, "bobs")
	var newBytes, storedBytes int64
	for i := 0; i < 1000; i++ {
		size := 4096 + (i*7919)%(60<<10)
		rel := filepath.Join(fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d.bin", i))
		b := writeRandom(t, filepath.Join(local, rel), size)
		if i%2 == 0 { // bob has it already
			storedBytes += int64(size)
			writeText(t, filepath.Join(bobs, rel), string(b))
		} else {
			newBytes += int64(size)
		}
	}
	s.ok(t, bob, "put", bobs, "/")

	start := time.Now()
	r := s.ok(t, alice, "sync", "-j", "8", local, "/tree")
	elapsed := time.Since(start)
	if got := r.stats.BytesSent.Load(); got != newBytes {
		t.Errorf("sent %d bytes, want %d (the 500 files not stored yet)", got, newBytes)
	}
	if got := r.stats.InstantFiles.Load(); got != 500 {
		t.Errorf("%d instant uploads, want 500", got)
	}
	if !strings.Contains(r.out, "1000 upload") || !strings.Contains(r.out, "0 failed") {
		t.Errorf("the sync:\n%s", tail(r.out, 5))
	}
	t.Logf("first sync of 1,000 files (%d bytes, %d of them stored under another account): %v, %d bytes sent, %d instant",
		newBytes+storedBytes, storedBytes, elapsed.Round(time.Millisecond), r.stats.BytesSent.Load(), r.stats.InstantFiles.Load())
}

// watcher is a `drive sync -watch` of the real binary.
type watcher struct {
	cmd  *exec.Cmd
	out  strings.Builder
	mu   sync.Mutex
	done chan struct{}
}

func (s *server) startWatch(t *testing.T, bin string, u *user, dir, dev string) *watcher {
	t.Helper()
	w := &watcher{done: make(chan struct{})}
	w.cmd = exec.Command(bin, "sync", "-watch", "-interval", "2s", "-device", dev, dir, "/watched")
	w.cmd.Env = append(os.Environ(), "DRIVE_SERVER="+s.grpcAddr, "XDG_CONFIG_HOME="+filepath.Dir(filepath.Dir(u.creds)))
	pr, pw := io.Pipe()
	w.cmd.Stdout, w.cmd.Stderr = pw, pw
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
	}()
	go func() { _ = w.cmd.Wait(); pw.Close(); close(w.done) }()
	t.Cleanup(func() { w.stop() })
	return w
}

func (w *watcher) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// stop interrupts the watcher as Ctrl-C would and waits for it to end.
func (w *watcher) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// converge waits until cond holds (each watcher syncs on local events and
// on the drive's wait call), failing after a generous bound.
func converge(t *testing.T, what string, cond func() bool, ws ...*watcher) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return
		}
	}
	for i, w := range ws {
		t.Logf("watcher %d output:\n%s", i, w.output())
	}
	t.Fatalf("%s: the folders did not converge", what)
}

// TestSyncWatch: two `drive sync -watch` processes on two folders of one
// account pick up each other's creates, edits, renames and deletes, and
// keep both sides of a concurrent edit.
func TestSyncWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds and runs the standalone binary")
	}
	s := startServer(t)
	alice := s.register(t, "alice")
	s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
	bin := driveBinary(t)
	A, B := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	writeText(t, filepath.Join(A, "shared.txt"), "v1")
	writeText(t, filepath.Join(A, "docs", "r.txt"), "to rename")
	writeText(t, filepath.Join(A, "gone.txt"), "to delete")
	if err := os.MkdirAll(B, 0o755); err != nil {
		t.Fatal(err)
	}

	wa := s.startWatch(t, bin, alice, A, "laptop")
	wb := s.startWatch(t, bin, alice, B, "desktop")
	same := func() bool {
		ta, tb := tree(t, A), tree(t, B)
		if len(ta) != len(tb) {
			return false
		}
		for p, v := range ta {
			if tb[p] != v {
				return false
			}
		}
		return true
	}
	converge(t, "first sync", func() bool { return same() && tree(t, B)["docs/r.txt"] != "" }, wa, wb)

	// Changes on both sides while both watch; shared.txt edited on both
	// before either could sync is forced by stopping B for the edit.
	wb.stop()
	writeText(t, filepath.Join(B, "shared.txt"), "v2 from B")
	writeText(t, filepath.Join(A, "shared.txt"), "v2 from A")
	writeText(t, filepath.Join(A, "new-a.txt"), "from A")
	mustRename(t, filepath.Join(A, "docs", "r.txt"), filepath.Join(A, "docs", "renamed.txt"))
	converge(t, "A's changes on the drive", func() bool {
		return strings.Contains(wa.output(), "move on drive docs/r.txt → docs/renamed.txt") &&
			strings.Contains(wa.output(), "put /watched/new-a.txt")
	}, wa)
	wb = s.startWatch(t, bin, alice, B, "desktop")
	if err := os.Remove(filepath.Join(B, "gone.txt")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	writeText(t, filepath.Join(B, "new-b", "b.txt"), "from B")
	converge(t, "both sides' changes", func() bool {
		ta := tree(t, A)
		return same() && ta["new-b/b.txt"] != "" && ta["new-a.txt"] != "" && ta["docs/renamed.txt"] != "" &&
			ta["gone.txt"] == "" && len(conflictCopies(t, A, "shared", ".txt")) == 1
	}, wa, wb)
	if got := readText(t, filepath.Join(A, "shared.txt")); got != "v2 from A" {
		t.Errorf("shared.txt is %q, want A's edit (synced first)", got)
	}
	if cps := conflictCopies(t, A, "shared", ".txt"); readText(t, cps[0]) != "v2 from B" || !strings.Contains(cps[0], "desktop") {
		t.Errorf("the conflict copy %s", cps[0])
	}
	wa.stop()
	wb.stop()
}
