package local_test

// Helpers of the fault tests (fault_*_test.go): accounts of their own that
// drive the cluster through the gateway with tools/loadgen/drive, processes
// killed, paused, stopped and started by the PIDs cluster.sh recorded, and
// the checks every fault ends with: errors while it lasts carry a reason
// (never a hang, never a bare 500), and afterwards the drive holds exactly
// the acknowledged files, whole, with the quota equal to their sum.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"clouddrive/tools/loadgen/drive"
)

// callTimeout bounds every call of a fault test: an answer slower than
// this is a hang, which a fault must never cause.
const callTimeout = 45 * time.Second

var seeds atomic.Uint64

func init() { seeds.Store(uint64(time.Now().UnixNano())) }

// content is new content of size bytes (no upload of it is instant).
func content(size int64) drive.Content { return drive.NewContent(seeds.Add(1), size) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// account signs up a new user through the gateway; its username too.
func (c *cluster) account(t *testing.T) (*drive.Client, string) {
	t.Helper()
	// From a loopback address of its own: the user service caps sign-ups
	// per address, and the suite makes a dozen accounts.
	b := randomBytes(3)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 2+b[0]%250, b[1], 1+b[2]%250)}, Timeout: 10 * time.Second}
	hc := &http.Client{Timeout: callTimeout, Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}
	u := drive.New(c.base, hc)
	name := "fault" + random(t, 5)
	if err := u.SignUp(ctxT(t), name, "Pw-"+random(t, 8)+"x9"); err != nil {
		t.Fatalf("sign up: %v", err)
	}
	return u, name
}

// direct is u talking to one instance's own HTTP port, not the gateway:
// what the test kills is then the very process serving the call.
func (c *cluster) direct(u *drive.Client, inst string) *drive.Client {
	return u.With("http://127.0.0.1:" + c.port(inst, "HTTP"))
}

// signal sends sig to a process of the cluster (by its recorded PID).
func (c *cluster) signal(t *testing.T, name string, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(c.pid(t, name), sig); err != nil {
		t.Fatalf("signal %v to %s: %v", sig, name, err)
	}
}

// kill9 SIGKILLs name and starts it again when the test ends (if the test
// did not).
func (c *cluster) kill9(t *testing.T, name string) {
	t.Helper()
	c.signal(t, name, syscall.SIGKILL)
	c.restoreLater(t, name)
}

// stop stops name cleanly (cluster.sh stop) and starts it again when the
// test ends (if the test did not).
func (c *cluster) stop(t *testing.T, name string) {
	t.Helper()
	c.script(t, "stop", name)
	c.restoreLater(t, name)
}

// start starts name again (cluster.sh start waits until it serves).
func (c *cluster) start(t *testing.T, name string) {
	t.Helper()
	if c.running(name) {
		return
	}
	c.script(t, "start", name)
}

func (c *cluster) restoreLater(t *testing.T, name string) {
	t.Cleanup(func() {
		if !c.running(name) {
			c.script(t, "start", name)
		}
	})
}

// running: the recorded process of name is alive (and not a zombie).
func (c *cluster) running(name string) bool {
	b, err := os.ReadFile(filepath.Join(c.dir, "run", name+".pid"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + f[0] + "/stat")
	if err != nil {
		return false
	}
	// Fields after the command (which may hold spaces) in parentheses.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(rest) > 19 && rest[0] != "Z" && rest[19] == f[1]
}

// mustBeClear fails the test unless err is nil or a failure with a reason.
func mustBeClear(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && !drive.Clear(err) {
		t.Errorf("%s during the fault: %v — want an answer with a reason (never a hang, a dropped connection or a bare 500)", what, err)
	} else if err != nil {
		t.Logf("%s during the fault: %v (clear)", what, err)
	}
}

// eventually retries fn until it succeeds, for at most within. Every
// failure meanwhile must be clear; the last one is reported.
func eventually(t *testing.T, what string, within time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	n := 0
	for {
		err := fn()
		if err == nil {
			if n > 0 {
				t.Logf("%s: succeeded after %d clear failure(s)", what, n)
			}
			return
		}
		n++
		if !drive.Clear(err) {
			t.Fatalf("%s: %v — want an answer with a reason (never a hang, a dropped connection or a bare 500)", what, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, within, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// file is an acknowledged upload: what the drive must hold afterwards.
type file struct {
	name string
	ct   drive.Content
}

// settled checks the drive of u after a fault: the folder holds exactly the
// acknowledged files (no partial one, none lost), each whole (downloaded
// and hashed), and the quota's used bytes equal the sum of every live file.
// The listing comes from the file service's cache when it has one, so this
// also checks the cache converged.
func settled(t *testing.T, u *drive.Client, parent string, want []file) {
	t.Helper()
	var nodes []drive.Node
	eventually(t, "list after the fault", 30*time.Second, func() (err error) {
		nodes, err = u.ListAll(ctxT(t), parent)
		return err
	})
	got := map[string]drive.Node{}
	for _, n := range nodes {
		got[n.Name] = n
	}
	for _, f := range want {
		n, ok := got[f.name]
		switch {
		case !ok:
			t.Errorf("acknowledged upload %q lost: not in the listing %v", f.name, names(nodes))
		case int64(n.Size) != f.ct.Size || n.ContentHash != f.ct.Hash():
			t.Errorf("%q listed with size %d hash %s, want %d %s", f.name, n.Size, n.ContentHash, f.ct.Size, f.ct.Hash())
		default:
			h, size, err := u.Download(ctxT(t), n.ID)
			if err != nil || h != f.ct.Hash() || size != f.ct.Size {
				t.Errorf("download of %q: %d bytes hash %s (%v), want %d %s", f.name, size, h, err, f.ct.Size, f.ct.Hash())
			}
		}
		delete(got, f.name)
	}
	for name, n := range got {
		if n.Kind == "file" {
			t.Errorf("%q is listed but was never acknowledged (a partial upload made visible?)", name)
		}
	}
	usageMatches(t, u)
}

// usageMatches checks the quota's used bytes against the sum of the sizes
// of every live file of u (the whole tree walked).
func usageMatches(t *testing.T, u *drive.Client) {
	t.Helper()
	var sum int64
	var walk func(parent string)
	walk = func(parent string) {
		nodes, err := u.ListAll(ctxT(t), parent)
		if err != nil {
			t.Fatalf("walking the tree: %v", err)
		}
		for _, n := range nodes {
			if n.Kind == "folder" {
				walk(n.ID)
			} else {
				sum += int64(n.Size)
			}
		}
	}
	walk("")
	us, err := u.Usage(ctxT(t))
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	if int64(us.Used) != sum {
		t.Errorf("quota used %d bytes, but the live files sum to %d", us.Used, sum)
	}
}

func names(nodes []drive.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

// missingAfter checks that a session resumes sending exactly the chunks not
// acknowledged: every acked chunk is held, every other one is asked for.
func missingAfter(t *testing.T, u *drive.Client, id string, acked map[int64]bool) drive.Session {
	t.Helper()
	var s drive.Session
	eventually(t, "upload status after the fault", 30*time.Second, func() (err error) {
		s, err = u.Status(ctxT(t), id)
		return err
	})
	for _, i := range s.Missing() {
		if acked[i] {
			t.Errorf("chunk %d was acknowledged before the fault, but the session asks for it again", i)
		}
	}
	held := map[int64]bool{}
	for _, i := range s.Uploaded {
		held[int64(i)] = true
	}
	for i := range acked {
		if !held[i] {
			t.Errorf("chunk %d acknowledged before the fault is not held after it", i)
		}
	}
	return s
}

// sendMissing sends the chunks s asks for (through the gateway, retrying
// clear failures while the cluster settles) and completes the upload.
func sendMissing(t *testing.T, u *drive.Client, s drive.Session, ct drive.Content) drive.Node {
	t.Helper()
	for _, i := range s.Missing() {
		eventually(t, fmt.Sprintf("chunk %d", i), 60*time.Second, func() error {
			return u.PutChunk(ctxT(t), s, ct, i, nil)
		})
	}
	var n drive.Node
	eventually(t, "complete", 60*time.Second, func() (err error) {
		n, err = u.Complete(ctxT(t), s.UploadID)
		return err
	})
	return n
}

// db opens the cluster's MariaDB (database name, "" for none).
func (c *cluster) db(t *testing.T, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:"+c.env["MARIADB_PORT"]+")/"+name+"?parseTime=true")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// waitWriting polls MariaDB until a transaction on schema has changed rows
// (a statement of the call under test is inside its transaction), at most
// within; false when none was seen.
func waitWriting(t *testing.T, db *sql.DB, within time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_rows_modified > 10").Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Logf("innodb_trx: %v", err)
		}
		if n > 0 {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}
