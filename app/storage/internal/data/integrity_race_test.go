package data_test

// The blob integrity invariant under attack, on the real repos (SQLite and
// MariaDB) and the local disk store: chunk PUTs hammered against complete
// can never change a published blob, concurrent completes all get the one
// node, and a proof of possession cannot be re-rolled by starting again.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/data"
	"clouddrive/pkg/testkit"
)

type integrityWorld struct {
	ctx     context.Context
	uploads biz.UploadRepo
	up      *biz.UploadUsecase
	scrub   *biz.ScrubUsecase
	blobs   biz.BlobRepo
	store   *data.LocalStore
	files   *gcRaceFakeFileService
}

// integrityDatabases are the databases every integrity test runs on.
func integrityDatabases(t *testing.T) map[string]*confv1.Data_Database {
	dbs := map[string]*confv1.Data_Database{
		"sqlite": {Driver: "sqlite", Source: filepath.Join(t.TempDir(), "storage.db")},
	}
	if !testing.Short() {
		dbs["mariadb"] = &confv1.Data_Database{Driver: "mysql", Source: testkit.MySQL(t)}
	}
	return dbs
}

func newIntegrityWorld(t *testing.T, db *confv1.Data_Database) *integrityWorld {
	t.Helper()
	logger := log.NewStdLogger(io.Discard)
	d, cleanup, err := data.NewData(&confv1.Data{Database: db}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	store, err := data.NewLocalStore(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	policy := &biz.Policy{ChunkSize: biz.BlockSize, MaxFileSize: 1 << 40, UploadTTL: time.Hour, ProveAttempts: 3,
		URLTTL: time.Minute, BlobGrace: time.Hour, ProofKey: []byte("integrity test key")}
	blobs := data.NewBlobRepo(d)
	w := &integrityWorld{ctx: context.Background(), blobs: blobs, store: store, files: newGCRaceFakeFileService()}
	w.uploads = data.NewUploadRepo(d)
	w.up = biz.NewUploadUsecase(w.uploads, data.NewChunkIndex(d), blobs, store, w.files, policy, biz.NewClock(), logger)
	w.scrub = biz.NewScrubUsecase(blobs, store, biz.NewClock(), logger)
	return w
}

func randomContent(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// send puts every chunk of content into the session.
func (w *integrityWorld) send(t *testing.T, owner int64, s *biz.Session, content []byte) {
	t.Helper()
	l := s.Upload.Layout()
	for i := int64(0); i < l.Count(); i++ {
		if err := w.up.PutChunk(w.ctx, owner, s.Upload.ID, i, bytes.NewReader(content[l.Offset(i):l.Offset(i)+l.Len(i)]), nil); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
}

// download reads a node's content back as its owner would get it.
func (w *integrityWorld) download(t *testing.T, hash string, size int64) []byte {
	t.Helper()
	rs, err := w.store.Open(w.ctx, hash, size)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	b, err := io.ReadAll(rs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChunkPutsCannotTouchACompletingUpload is the blob-poisoning attack:
// an uploader sends the genuine file, then hammers chunk PUTs of other
// bytes while complete runs. Whatever complete answers, every blob must
// still hash to its name, and a second user who uploads the genuine file
// must get the genuine bytes.
func TestChunkPutsCannotTouchACompletingUpload(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			var refusedPuts, completed atomic.Int64
			for r := 0; r < rounds; r++ {
				genuine := randomContent(t, biz.BlockSize+64<<10) // two chunks
				hash := biz.HashBytes(genuine)
				s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "genuine.bin", ContentHash: hash, Size: int64(len(genuine))})
				if err != nil {
					t.Fatal(err)
				}
				w.send(t, 1, s, genuine)
				l := s.Upload.Layout()

				stop := make(chan struct{})
				var wg sync.WaitGroup
				attack := func() {
					for g := 0; g < 4; g++ {
						wg.Add(1)
						go func(g int) {
							defer wg.Done()
							i := int64(g % 2)
							garbage := bytes.Repeat([]byte{byte(0xA0 + g)}, int(l.Len(i)))
							for {
								select {
								case <-stop:
									return
								default:
								}
								if err := w.up.PutChunk(w.ctx, 1, s.Upload.ID, i, bytes.NewReader(garbage), nil); err != nil {
									refusedPuts.Add(1)
								}
							}
						}(g)
					}
				}
				// Odd rounds: the attack is under way when complete starts.
				// Even rounds: it starts a moment after complete (writes
				// that would land in the blob just published).
				var done = make(chan error, 1)
				if r%2 == 1 {
					attack()
					time.Sleep(2 * time.Millisecond)
					go func() { _, err := w.up.Complete(w.ctx, 1, s.Upload.ID); done <- err }()
				} else {
					go func() { _, err := w.up.Complete(w.ctx, 1, s.Upload.ID); done <- err }()
					time.Sleep(time.Duration(r%4) * 100 * time.Microsecond)
					attack()
				}
				err = <-done
				time.Sleep(5 * time.Millisecond)
				close(stop)
				wg.Wait()
				if err == nil {
					completed.Add(1)
				} else if e := kerrors.FromError(err); e.Code >= 500 {
					t.Fatalf("round %d: complete failed with %d %s: %v", r, e.Code, e.Reason, err)
				}

				// The victim uploads the genuine file: deduplicated or sent,
				// it must read back genuine.
				vs, err := w.up.Init(w.ctx, biz.NewFile{Owner: 2, Name: "mine.bin", ContentHash: hash, Size: int64(len(genuine))})
				if err != nil {
					t.Fatal(err)
				}
				w.send(t, 2, vs, genuine)
				n, err := w.up.Complete(w.ctx, 2, vs.Upload.ID)
				if err != nil {
					t.Fatalf("round %d: the victim's complete: %v", r, err)
				}
				if got := w.download(t, n.ContentHash, n.Size); !bytes.Equal(got, genuine) {
					t.Fatalf("round %d: the victim downloads other bytes than they uploaded (blob poisoned)", r)
				}
			}
			// Every blob on disk still matches its hash.
			rep, err := w.scrub.RunAll(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Quarantined) != 0 || rep.Checked < rounds {
				t.Fatalf("scrub: %d checked, %d corrupt: %v", rep.Checked, len(rep.Quarantined), rep.Quarantined)
			}
			t.Logf("%d rounds: %d attacker completes went through, %d chunk PUTs refused; every blob intact",
				rounds, completed.Load(), refusedPuts.Load())
		})
	}
}

func TestConcurrentCompletesAllGetTheNode(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			content := randomContent(t, 3*biz.BlockSize/2)
			s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "f.bin", ContentHash: biz.HashBytes(content), Size: int64(len(content))})
			if err != nil {
				t.Fatal(err)
			}
			w.send(t, 1, s, content)
			const callers = 8
			ids := make([]int64, callers)
			errs := make([]error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := w.up.Complete(w.ctx, 1, s.Upload.ID)
					errs[i] = err
					if err == nil {
						ids[i] = n.ID
					}
				}()
			}
			wg.Wait()
			for i := range callers {
				if errs[i] != nil || ids[i] != ids[0] {
					t.Fatalf("caller %d: node %d, %v; want node %d for everyone", i, ids[i], errs[i], ids[0])
				}
			}
			if n := len(w.files.all()); n != 1 {
				t.Fatalf("%d nodes made, want 1", n)
			}
		})
	}
}

// A proof of possession cannot be re-rolled: a second init of the same
// content draws the same challenge, and wrong proofs are counted per user
// and content, not per upload.
func TestProofCannotBeRerolled(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			content := randomContent(t, 3<<20)
			hash := biz.HashBytes(content)
			s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "orig.bin", ContentHash: hash, Size: int64(len(content))})
			if err != nil {
				t.Fatal(err)
			}
			w.send(t, 1, s, content)
			if _, err := w.up.Complete(w.ctx, 1, s.Upload.ID); err != nil {
				t.Fatal(err)
			}

			// The attacker knows the hash and the first half of the file.
			known := append(append([]byte(nil), content[:len(content)/2]...), make([]byte, len(content)-len(content)/2)...)
			var first []biz.Range
			for i := range 5 {
				a, err := w.up.Init(w.ctx, biz.NewFile{Owner: 2, Name: "x" + string(rune('a'+i)) + ".bin", ContentHash: hash,
					Size: int64(len(content))})
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = a.Challenge
				} else if !sameRanges(first, a.Challenge) {
					t.Fatalf("init %d drew other ranges: the challenge can be re-rolled", i)
				}
				if len(a.Challenge) < 8 {
					t.Fatalf("the challenge covers %d ranges", len(a.Challenge))
				}
				p, err := biz.Proof(bytes.NewReader(known), a.Upload.Nonce, a.Challenge)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.up.Prove(w.ctx, 2, a.Upload.ID, hex.EncodeToString(p)); err == nil {
					t.Fatal("half of the file passed the proof")
				}
			}
			// After three tries on that content, even the right proof of a new
			// upload is refused this period.
			a, err := w.up.Init(w.ctx, biz.NewFile{Owner: 2, Name: "late.bin", ContentHash: hash, Size: int64(len(content))})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := biz.Proof(bytes.NewReader(content), a.Upload.Nonce, a.Challenge)
			if _, err := w.up.Prove(w.ctx, 2, a.Upload.ID, hex.EncodeToString(p)); err == nil {
				t.Fatal("a fourth proof of the same content was counted afresh")
			}
			// Another user holding the whole file passes at once.
			b, err := w.up.Init(w.ctx, biz.NewFile{Owner: 3, Name: "mine.bin", ContentHash: hash, Size: int64(len(content))})
			if err != nil {
				t.Fatal(err)
			}
			p, _ = biz.Proof(bytes.NewReader(content), b.Upload.Nonce, b.Challenge)
			if _, err := w.up.Prove(w.ctx, 3, b.Upload.ID, hex.EncodeToString(p)); err != nil {
				t.Fatalf("the right proof: %v", err)
			}
		})
	}
}

func sameRanges(a, b []biz.Range) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The scrub finds a blob whose bytes were changed on disk, quarantines it,
// and the next genuine upload of that content replaces it.
func TestScrubQuarantinesAndUploadHeals(t *testing.T) {
	w := newIntegrityWorld(t, integrityDatabases(t)["sqlite"])
	content := randomContent(t, 1<<20)
	hash := biz.HashBytes(content)
	s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "a.bin", ContentHash: hash, Size: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	w.send(t, 1, s, content)
	if _, err := w.up.Complete(w.ctx, 1, s.Upload.ID); err != nil {
		t.Fatal(err)
	}
	// Published blobs are read-only on disk.
	path := filepath.Join(w.store.Root(), filepath.FromSlash(biz.BlobKey(hash)))
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Fatalf("a published blob is writable: %v, %v", st.Mode(), err)
	}
	// Bit rot (or anyone with the disk) changes it anyway.
	if err := chmodWrite(path, func() error { return writeOver(path, 100, []byte("rot")) }); err != nil {
		t.Fatal(err)
	}
	rep, err := w.scrub.RunAll(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Quarantined) != 1 || rep.Quarantined[0] != hash {
		t.Fatalf("scrub quarantined %v, want %s", rep.Quarantined, hash)
	}
	if b, err := w.blobs.Get(w.ctx, hash); err != nil || b.QuarantinedAt == nil || b.Trusted(b.Size) {
		t.Fatalf("blob after the scrub: %+v, %v", b, err)
	}
	// A proof onto it is refused; the genuine bytes sent again replace it.
	v, err := w.up.Init(w.ctx, biz.NewFile{Owner: 2, Name: "b.bin", ContentHash: hash, Size: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := biz.Proof(bytes.NewReader(content), v.Upload.Nonce, v.Challenge)
	if _, err := w.up.Prove(w.ctx, 2, v.Upload.ID, hex.EncodeToString(p)); err == nil {
		t.Fatal("a proof was accepted onto a quarantined blob")
	}
	w.send(t, 2, v, content)
	if _, err := w.up.Complete(w.ctx, 2, v.Upload.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.download(t, hash, int64(len(content))); !bytes.Equal(got, content) {
		t.Fatal("the quarantined blob was not replaced by the genuine bytes")
	}
	if b, err := w.blobs.Get(w.ctx, hash); err != nil || !b.Trusted(b.Size) {
		t.Fatalf("blob after healing: %+v, %v", b, err)
	}
}

// writeOver writes b at off into the file at path.
func writeOver(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chmodWrite runs fn with the file made writable for a moment.
func chmodWrite(path string, fn func() error) error {
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	defer os.Chmod(path, 0o400)
	return fn()
}

// A chunk is acknowledged before it is on disk; a crash of the machine can
// lose it. After a reboot, complete re-hashes the chunks of the earlier boot
// and asks again for the lost one instead of publishing other bytes.
func TestChunksLostInACrashAreSentAgain(t *testing.T) {
	w := newIntegrityWorld(t, integrityDatabases(t)["sqlite"])
	content := randomContent(t, 2*biz.BlockSize+biz.BlockSize/2) // three chunks
	hash := biz.HashBytes(content)
	s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "a.bin", ContentHash: hash, Size: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	w.send(t, 1, s, content)
	// The crash: chunk 1's pages never reached the disk; the machine boots again.
	l := s.Upload.Layout()
	part := filepath.Join(w.store.Root(), "uploads", s.Upload.ID+".part")
	if err := writeOver(part, l.Offset(1), make([]byte, l.Len(1))); err != nil {
		t.Fatal(err)
	}
	w.store.SetBootForTest("the boot after the crash")

	_, err = w.up.Complete(w.ctx, 1, s.Upload.ID)
	if e := kerrors.FromError(err); e.Reason != "CHUNKS_MISSING" || e.Metadata["missing"] != "1" {
		t.Fatalf("complete after the crash: %v; want CHUNKS_MISSING of chunk 1", err)
	}
	st, err := w.up.Status(w.ctx, 1, s.Upload.ID)
	if err != nil || len(st.Held) != 2 {
		t.Fatalf("held after the crash: %v, %v; want chunks 0 and 2", st.Held, err)
	}
	if err := w.up.PutChunk(w.ctx, 1, s.Upload.ID, 1, bytes.NewReader(content[l.Offset(1):l.Offset(1)+l.Len(1)]), nil); err != nil {
		t.Fatal(err)
	}
	n, err := w.up.Complete(w.ctx, 1, s.Upload.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.download(t, n.ContentHash, n.Size); !bytes.Equal(got, content) {
		t.Fatal("the published blob is not the content")
	}
}

// A chunk write left by a crashed process blocks its chunk only until its
// heartbeat is stale; a sole instance forgets it at start.
func TestCrashedChunkWrites(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			content := randomContent(t, biz.BlockSize+10)
			s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "a.bin", ContentHash: biz.HashBytes(content), Size: int64(len(content))})
			if err != nil {
				t.Fatal(err)
			}
			id := s.Upload.ID
			// A minute ago: every time below is in the past, as real ones are.
			t0 := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
			const stale = 15 * time.Second
			// The crashed writer began (and last beat) at t0.
			if err := w.uploads.BeginChunk(w.ctx, 1, id, 0, "dead", t0, t0.Add(-stale)); err != nil {
				t.Fatal(err)
			}
			// While its beat is fresh, nobody may take the chunk, and it counts
			// as a write complete must wait for.
			if err := w.uploads.BeginChunk(w.ctx, 1, id, 0, "new", t0.Add(5*time.Second), t0.Add(5*time.Second-stale)); err != biz.ErrBusy {
				t.Fatalf("a fresh claim was taken over: %v", err)
			}
			if n, err := w.uploads.Writing(w.ctx, 1, id, t0.Add(5*time.Second-stale)); err != nil || n != 1 {
				t.Fatalf("writing = %d, %v; want 1", n, err)
			}
			// Once stale, it is dead: not waited for, and taken over.
			if n, err := w.uploads.Writing(w.ctx, 1, id, t0.Add(16*time.Second-stale)); err != nil || n != 0 {
				t.Fatalf("writing once stale = %d, %v; want 0", n, err)
			}
			if err := w.uploads.BeginChunk(w.ctx, 1, id, 0, "new", t0.Add(16*time.Second), t0.Add(16*time.Second-stale)); err != nil {
				t.Fatalf("a stale claim was not taken over: %v", err)
			}
			// The dead writer can neither renew nor end what it lost.
			if err := w.uploads.TouchChunk(w.ctx, 1, id, 0, "dead", t0.Add(17*time.Second)); err != biz.ErrBusy {
				t.Fatalf("the dead writer renewed: %v", err)
			}
			if err := w.uploads.EndChunk(w.ctx, &biz.Chunk{UploadID: id, OwnerID: 1, Index: 0, Size: 1, Digests: []byte{1}}, "dead"); err != biz.ErrBusy {
				t.Fatalf("the dead writer ended the chunk: %v", err)
			}
			// A sole instance at start forgets every begun write.
			if err := w.up.RecoverSoleInstance(w.ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := w.uploads.Writing(w.ctx, 1, id, time.Time{}); err != nil || n != 0 {
				t.Fatalf("writing after recovery = %d, %v", n, err)
			}
			if err := w.up.PutChunk(w.ctx, 1, id, 0, bytes.NewReader(content[:biz.BlockSize]), nil); err != nil {
				t.Fatalf("the chunk after recovery: %v", err)
			}
		})
	}
}
