package standalone_test

// TestE2EPowerCut: the durability claim (issue 10) under a power cut. The
// binary runs with its data folder on a crashfs mount (pkg/testkit/crashfs:
// in memory, durable only what fsync made so); while chunked, single-
// request and instant uploads and overwrites run, the power is cut at a
// random moment (the file system keeps only what was durable, or at random
// some of what writeback may have written; the process is killed); the
// image is mounted again and the binary restarted as after a reboot. Then
// every upload acknowledged before the cut is listed and downloads byte for
// byte, overwritten contents are kept as versions, nothing listed holds
// bytes no upload sent, and the uploads left open resume (chunks the cut
// lost are asked again) to the right bytes.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/testkit/crashfs"
)

// simulatedBoot is the local store's variable that names a reboot the test
// simulates (app/storage/internal/data/localstore.go): unflushed chunks of
// an earlier boot are re-hashed before they are trusted.
const simulatedBoot = "CLOUDDRIVE_SIMULATED_BOOT"

const chunkSize = 8 << 20

func TestE2EPowerCut(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	skipOnCluster(t, "the power cut runs the binary on a FUSE mount of the test's own")
	if err := crashfs.Usable(); err != nil {
		t.Skipf("the power-cut test needs FUSE (/dev/fuse and the right to mount): %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CLOUDDRIVE_POWERCUT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("CLOUDDRIVE_POWERCUT_SEED=%q: %v", s, err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	torn := seed%2 == 1
	t.Logf("seed %d (CLOUDDRIVE_POWERCUT_SEED repeats its choices; the moment of the cut still varies); torn cut: %v", seed, torn)
	bin := binary(t)

	// The disk, and the data folder on it (the operator made it, durably).
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	disk, err := crashfs.Mount(mnt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := disk.Unmount(); err != nil {
			t.Errorf("unmounting: %v", err)
		}
	})
	data := filepath.Join(mnt, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	syncDir(t, mnt)
	logs := t.TempDir()

	t.Setenv(simulatedBoot, "before-the-cut")
	srv := startOn(t, bin, data, filepath.Join(logs, "before.log"))
	c := newPCClient(srv.baseURL)
	defer c.close()
	password := "Pw-" + strconv.FormatUint(rng.Uint64(), 36) + "-x9"
	if err := c.register("powercut", password); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := c.login("powercut", password); err != nil {
		t.Fatalf("login: %v", err)
	}
	folders := map[string]string{}
	for _, name := range []string{"big", "small", "instant", "open"} {
		n, err := c.mkdir("", name)
		if err != nil {
			t.Fatalf("mkdir %s: %v", name, err)
		}
		folders[name] = n.GetId()
	}
	j := &pcJournal{}

	// Uploads left open before the workload: some chunks sent, no complete.
	type openUpload struct {
		slot *pcSlot
		sent []int64
	}
	var open []openUpload
	for i, sent := range [][]int64{{0}, {0, 2}} {
		ct := content{seed: 1_000_000 + uint64(i), size: 2*chunkSize + 1 + rng.Int64N(chunkSize)}
		s := j.slot(folders["open"], fmt.Sprintf("open-%d.bin", i))
		a := j.try(s, "open", ct)
		sess, err := c.init(s.folder, s.name, ct, a.hash)
		if err != nil {
			t.Fatalf("init %v: %v", s, err)
		}
		a.upload = sess.GetUploadId()
		if err := c.sendChunks(sess, ct, sent, 2); err != nil {
			t.Fatalf("chunks %v of %v: %v", sent, s, err)
		}
		open = append(open, openUpload{s, sent})
	}

	// The workload, until the cut. A failure before the cut is the test's
	// failure; after it, failures are the point.
	var (
		cutting atomic.Bool
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		alive   atomic.Int32
	)
	failed := func(what string, err error) {
		if !cutting.Load() {
			t.Errorf("%s, before the cut: %v", what, err)
		}
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	worker := func(w int, run func(w int, r *rand.Rand) bool) {
		wg.Add(1)
		alive.Add(1)
		r := rand.New(rand.NewPCG(seed, uint64(100+w)))
		go func() {
			defer wg.Done()
			defer alive.Add(-1)
			for !stopped() && run(w, r) {
			}
		}()
	}
	// Chunked uploads of two or three chunks, with the hash at init and
	// without (the server's own hash); every third overwrites an earlier
	// name of the worker's (a new version).
	for w := range 2 {
		hashless := w == 1
		var mine []*pcSlot
		i := 0
		worker(w, func(w int, r *rand.Rand) bool {
			i++
			var s *pcSlot
			if i%3 == 0 {
				s = mine[r.IntN(len(mine))]
			} else {
				s = j.slot(folders["big"], fmt.Sprintf("big-%d-%d.bin", w, i))
				mine = append(mine, s)
			}
			ct := content{seed: uint64(2_000_000 + w*10_000 + i), size: chunkSize + 1 + r.Int64N(2*chunkSize)}
			a := j.try(s, "chunked", ct)
			a.hashless = hashless
			sent := a.hash
			if hashless {
				sent = ""
			}
			sess, err := c.init(s.folder, s.name, ct, sent)
			if err != nil {
				failed("init "+s.String(), err)
				return false
			}
			a.upload = sess.GetUploadId()
			if err := c.putChunks(sess, ct, 2); err != nil {
				failed("chunks of "+s.String(), err)
				return false
			}
			n, err := c.complete(a.upload)
			if err != nil {
				failed("complete "+s.String(), err)
				return false
			}
			if n.GetContentHash() != a.hash || n.GetSize() != ct.size {
				t.Errorf("complete %v made %s", s, nodeLine(n))
			}
			j.ack(a, n.GetId())
			return true
		})
	}
	// Small files in one request; every third overwrites.
	for w := range 2 {
		var mine []*pcSlot
		i := 0
		worker(10+w, func(w int, r *rand.Rand) bool {
			i++
			var s *pcSlot
			if i%3 == 0 {
				s = mine[r.IntN(len(mine))]
			} else {
				s = j.slot(folders["small"], fmt.Sprintf("small-%d-%d.txt", w, i))
				mine = append(mine, s)
			}
			ct := content{seed: uint64(3_000_000 + w*10_000 + i), size: 1 + r.Int64N(64<<10)}
			a := j.try(s, "small", ct)
			n, err := c.small(s.folder, s.name, ct)
			if err != nil {
				failed("small upload "+s.String(), err)
				return false
			}
			if n.GetContentHash() != a.hash || n.GetSize() != ct.size {
				t.Errorf("small upload %v made %s", s, nodeLine(n))
			}
			j.ack(a, n.GetId())
			return true
		})
	}
	// Instant uploads of content acknowledged already, each content once
	// (a user may prove one content only a few times a period).
	{
		i := 0
		proved := map[uint64]bool{}
		worker(20, func(_ int, r *rand.Rand) bool {
			ct, ok := j.storedContent(r.Int())
			if !ok || proved[ct.seed] {
				time.Sleep(10 * time.Millisecond)
				return true
			}
			proved[ct.seed] = true
			i++
			s := j.slot(folders["instant"], fmt.Sprintf("instant-%d.bin", i))
			a := j.try(s, "instant", ct)
			sess, err := c.init(s.folder, s.name, ct, a.hash)
			if err != nil {
				failed("init "+s.String(), err)
				return false
			}
			n, err := c.prove(sess, ct)
			if err != nil {
				failed("prove "+s.String(), err)
				return false
			}
			if n.GetContentHash() != a.hash {
				t.Errorf("instant upload %v made %s", s, nodeLine(n))
			}
			j.ack(a, n.GetId())
			return true
		})
	}

	// The cut: once every kind has been acknowledged a few times, at a
	// random moment after.
	workers := int(alive.Load())
	for j.count("chunked") < 2 || j.count("small") < 4 || j.count("instant") < 1 {
		if int(alive.Load()) < workers {
			break // a worker failed (reported): cut at once
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Duration(rng.Int64N(int64(time.Second))))
	cutting.Store(true)
	var img *crashfs.Image
	if torn {
		img = disk.Cut(rand.New(rand.NewPCG(seed, 2)))
	} else {
		img = disk.Cut(nil)
	}
	srv.kill()
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	acked := j.countAll()
	t.Logf("cut after %v acknowledged (%d names); in flight: %d", j.acks, len(j.slots), j.unacked())

	// The reboot: the image mounted again, the binary in a new boot.
	if err := disk.Unmount(); err != nil {
		t.Fatal(err)
	}
	if disk, err = crashfs.Mount(mnt, img); err != nil {
		t.Fatal(err)
	}
	t.Setenv(simulatedBoot, "after-the-cut")
	srv2 := startOn(t, bin, data, filepath.Join(logs, "after.log"))
	c2 := newPCClient(srv2.baseURL)
	defer c2.close()
	// The signing keys may be new; the account must not be.
	if err := c2.login("powercut", password); err != nil {
		t.Fatalf("login after the cut: %v", err)
	}

	verifyAll(t, c2, j, folders)
	if t.Failed() {
		t.FailNow()
	}

	// Open uploads: the server holds at most the chunks sent.
	for _, o := range open {
		a := o.slot.attempts[0]
		sess, err := c2.init(o.slot.folder, o.slot.name, a.c, a.hash)
		if err != nil {
			t.Fatalf("init %v after the cut: %v", o.slot, err)
		}
		for _, i := range sess.GetUploadedChunks() {
			if !slices.Contains(o.sent, i) {
				t.Errorf("open upload %v holds chunk %d after the cut; only %v were sent", o.slot, i, o.sent)
			}
		}
	}
	// Every upload not acknowledged (open, or in flight at the cut) goes
	// on: resumed where the server holds chunks, chunks the cut lost asked
	// again, or started over; it must end in the right bytes.
	var resumed, sameUpload, lostAsked int
	for _, s := range j.slots {
		last := s.attempts[len(s.attempts)-1]
		if last.acked || last.kind == "small" || last.kind == "instant" {
			continue
		}
		same, lost := resume(t, c2, j, s, last)
		resumed++
		if same {
			sameUpload++
		}
		lostAsked += lost
	}
	verifyAll(t, c2, j, folders)
	t.Logf("after the cut: %d acknowledged uploads intact; %d open uploads finished (%d on their own upload id), %d chunks written before the cut found lost at complete and sent again",
		acked, resumed, sameUpload, lostAsked)
	if _, _, err := srv2.stop(20 * time.Second); err != nil {
		t.Errorf("stopping: %v", err)
	}
}

// startOn starts the binary on the data folder dir, logging to logPath, on
// free ports (retried when one was taken meanwhile).
func startOn(t *testing.T, bin, dir, logPath string) *server {
	t.Helper()
	return launch(t, bin, "start", func(attempt int) (string, string) {
		return dir, fmt.Sprintf("%s.%d", logPath, attempt)
	})
}

func syncDir(t *testing.T, dir string) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatalf("fsync %s: %v", dir, err)
	}
}

// verifyAll checks every name the test wrote against what the server
// lists: acknowledged uploads there, byte for byte, with their versions;
// nothing listed that no upload sent.
func verifyAll(t *testing.T, c *pcClient, j *pcJournal, folders map[string]string) {
	t.Helper()
	byFolder := map[string][]*pcSlot{}
	for _, s := range j.slots {
		byFolder[s.folder] = append(byFolder[s.folder], s)
	}
	for fname, id := range folders {
		listed, err := c.list(id)
		if err != nil {
			t.Errorf("listing the folder %s (made before the cut): %v", fname, err)
			continue
		}
		known := map[string]bool{}
		for _, s := range byFolder[id] {
			known[s.name] = true
			verifySlot(t, c, s, listed[s.name])
		}
		for name := range listed {
			if !known[name] {
				t.Errorf("%s/%s is listed; the test never wrote it", fname, name)
			}
		}
	}
}

func verifySlot(t *testing.T, c *pcClient, s *pcSlot, n *fv1.Node) {
	t.Helper()
	last := s.lastAcked()
	if n == nil {
		if last >= 0 {
			a := s.attempts[last]
			t.Errorf("%v: the %s upload of %d bytes acknowledged before the cut is gone", s, a.kind, a.c.size)
		}
		return
	}
	for _, a := range s.attempts {
		if a.acked && a.node != n.GetId() {
			t.Errorf("%v is node %s; an upload to it was acknowledged as node %s", s, n.GetId(), a.node)
		}
	}
	// The current content: the last acknowledged, or one sent after it
	// whose answer the cut swallowed.
	cur := -1
	for i := max(last, 0); i < len(s.attempts); i++ {
		if a := s.attempts[i]; a.hash == n.GetContentHash() && a.c.size == n.GetSize() {
			cur = i
		}
	}
	if cur < 0 {
		t.Errorf("%v holds content %s (%d bytes): no upload at or after the last acknowledged sent it", s, n.GetContentHash(), n.GetSize())
		return
	}
	if diff, err := c.download(n.GetId(), "", s.attempts[cur].c); err != nil || diff >= 0 {
		t.Errorf("%v: the download differs from what was uploaded at byte %d (%v)", s, diff, err)
	}
	vs, err := c.versions(n.GetId())
	if err != nil {
		t.Errorf("%v: versions: %v", s, err)
		return
	}
	kept := map[string]bool{}
	for _, v := range vs.GetVersions() {
		i := slices.IndexFunc(s.attempts, func(a *pcAttempt) bool { return a.hash == v.GetContentHash() })
		if i < 0 {
			t.Errorf("%v keeps a version with content %s that no upload sent", s, v.GetContentHash())
			continue
		}
		kept[v.GetContentHash()] = true
		if diff, err := c.download(n.GetId(), v.GetId(), s.attempts[i].c); err != nil || diff >= 0 {
			t.Errorf("%v: version %s differs from what was uploaded at byte %d (%v)", s, v.GetId(), diff, err)
		}
	}
	for i, a := range s.attempts {
		if a.acked && i != cur && a.hash != n.GetContentHash() && !kept[a.hash] {
			t.Errorf("%v: the content of its acknowledged upload %d (%s) is neither current nor a version", s, i, a.kind)
		}
	}
}

// resume finishes an upload the cut interrupted: init again (the same
// upload when the server kept it), send what it does not hold, complete;
// chunks lost in the cut come back as missing and are sent again. It
// reports whether the first init resumed the same upload and how many
// chunks complete asked again.
func resume(t *testing.T, c *pcClient, j *pcJournal, s *pcSlot, a *pcAttempt) (same bool, lost int) {
	t.Helper()
	b := j.try(s, "resumed", a.c)
	for try := 0; try < 4; try++ {
		var sess *sv1.UploadSession
		var err error
		if a.hashless {
			// No init resumes a hashless upload: its id does, while the
			// server holds it (an init that was not answered made none).
			if sess, err = c.status(a.upload); err != nil {
				sess, err = c.init(s.folder, s.name, a.c, "")
			}
		} else {
			sess, err = c.init(s.folder, s.name, a.c, a.hash)
		}
		if err != nil {
			t.Errorf("resuming %v: init: %v", s, err)
			return
		}
		if try == 0 {
			same = sess.GetUploadId() == a.upload
		}
		a.upload = sess.GetUploadId()
		if err := c.putChunks(sess, a.c, 2); err != nil {
			t.Errorf("resuming %v: chunks: %v", s, err)
			return
		}
		n, err := c.complete(sess.GetUploadId())
		if pe, ok := err.(*pcError); ok && pe.reason == sv1.ErrorReason_CHUNKS_MISSING.String() {
			lost += missingCount(pe.metadata["missing"], sess)
			continue
		}
		if err != nil {
			t.Errorf("resuming %v: complete: %v", s, err)
			return
		}
		if n.GetContentHash() != a.hash || n.GetSize() != a.c.size {
			t.Errorf("resuming %v made %s", s, nodeLine(n))
		}
		j.ack(b, n.GetId())
		return
	}
	t.Errorf("resuming %v: complete still asks for chunks after 4 rounds", s)
	return
}

// missingCount reads CHUNKS_MISSING's "missing" (indexes, or "all").
func missingCount(m string, s *sv1.UploadSession) int {
	if m == "all" {
		return int(s.GetChunkCount())
	}
	if m == "" {
		return 0
	}
	return len(strings.Split(m, ","))
}
