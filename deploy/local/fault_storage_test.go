package local_test

// Faults under the storage service: an instance SIGKILLed in the middle of
// a chunk write and in the middle of complete, MinIO (the S3 backend)
// stopped during a multipart upload, and MinIO's data disk full during an
// upload and during complete.

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"clouddrive/tools/loadgen/drive"
)

// size of the uploads: three chunks of 8 MiB (the last one short).
const threeChunks = 20 << 20

// stallingReader gives the first after bytes of r, then signals reached and
// blocks until release is closed, then fails: a client whose chunk is half
// sent when the server dies.
type stallingReader struct {
	r       io.Reader
	after   int
	sent    int
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.sent >= s.after {
		s.once.Do(func() { close(s.reached) })
		<-s.release
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(len(p), s.after-s.sent)]
	n, err := s.r.Read(p)
	s.sent += n
	return n, err
}

func TestFaultStorageKilledDuringChunkWrite(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	ct := content(threeChunks)
	s, err := u.Init(ctxT(t), "", "killed-mid-chunk.bin", ct)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.PutChunk(ctxT(t), s, ct, 0, nil); err != nil {
		t.Fatal(err)
	}
	// Chunk 1 straight to storage-1, half of it sent when storage-1 dies.
	body := &stallingReader{r: bytes.NewReader(ct.Bytes(int64(s.ChunkSize), int64(s.ChunkSize))), after: 4 << 20,
		reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- c.direct(u, "storage-1").PutChunk(ctxT(t), s, ct, 1, body) }()
	select {
	case <-body.reached:
	case err := <-done:
		t.Fatalf("chunk 1 ended before half of it was sent: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // the half on its way reaches storage-1
	c.kill9(t, "storage-1")
	close(body.release)
	if err := <-done; err == nil {
		t.Fatal("chunk 1 was acknowledged though storage-1 died while it was half sent")
	}

	// storage-2 serves meanwhile; the half-written chunk is not held, and is
	// taken over once the dead writer's claim is stale.
	s2 := missingAfter(t, u, s.UploadID, map[int64]bool{0: true})
	if got := s2.Missing(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("after the kill the session asks for chunks %v, want [1 2]", got)
	}
	sendMissing(t, u, s2, ct)
	c.start(t, "storage-1")
	settled(t, u, "", []file{{"killed-mid-chunk.bin", ct}})
}

func TestFaultStorageKilledDuringComplete(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	ct := content(threeChunks)
	s, err := u.Init(ctxT(t), "", "killed-mid-complete.bin", ct)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < int64(s.ChunkCount); i++ {
		if err := u.PutChunk(ctxT(t), s, ct, i, nil); err != nil {
			t.Fatal(err)
		}
	}
	// MinIO paused: complete on storage-1 gets as far as publishing the
	// content and waits there, holding the upload's completion lease.
	c.signal(t, "minio", syscall.SIGSTOP)
	t.Cleanup(func() { _ = syscall.Kill(c.pid(t, "minio"), syscall.SIGCONT) })
	done := make(chan error, 1)
	go func() {
		_, err := c.direct(u, "storage-1").Complete(ctxT(t), s.UploadID)
		done <- err
	}()
	time.Sleep(time.Second)
	c.kill9(t, "storage-1")
	c.signal(t, "minio", syscall.SIGCONT)
	if err := <-done; err == nil {
		t.Log("complete answered before storage-1 died")
	}

	// The retry (storage-2, through the gateway) takes over the dead
	// completion once its lease has lapsed and makes the file once. When
	// the dead completion had got MinIO to consume the parts without making
	// the object, the session asks for them again (CHUNKS_MISSING): the
	// client resumes, sending only what the session asks for.
	eventually(t, "complete again", 90*time.Second, func() error {
		_, err := u.Complete(ctxT(t), s.UploadID)
		if drive.ReasonOf(err) == "CHUNKS_MISSING" {
			s2, err := u.Status(ctxT(t), s.UploadID)
			if err != nil {
				return err
			}
			t.Logf("the crash cost chunks %v: sending them again", s2.Missing())
			for _, i := range s2.Missing() {
				if err := u.PutChunk(ctxT(t), s2, ct, i, nil); err != nil {
					return err
				}
			}
			_, err = u.Complete(ctxT(t), s.UploadID)
			return err
		}
		return err
	})
	c.start(t, "storage-1")
	settled(t, u, "", []file{{"killed-mid-complete.bin", ct}})
}

func TestFaultMinIOStoppedDuringMultipartUpload(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	ct := content(threeChunks)
	s, err := u.Init(ctxT(t), "", "minio-stopped.bin", ct)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.PutChunk(ctxT(t), s, ct, 0, nil); err != nil {
		t.Fatal(err)
	}
	c.stop(t, "minio")
	acked := map[int64]bool{0: true}
	err = u.PutChunk(ctxT(t), s, ct, 1, nil)
	mustBeClear(t, "chunk 1", err)
	if err == nil {
		acked[1] = true
	}
	_, err = u.Complete(ctxT(t), s.UploadID)
	mustBeClear(t, "complete", err)
	if err == nil {
		t.Error("complete succeeded with a chunk missing and MinIO stopped")
	}
	_, err = u.ListAll(ctxT(t), "")
	mustBeClear(t, "list", err)

	c.start(t, "minio")
	sendMissing(t, u, missingAfter(t, u, s.UploadID, acked), ct)
	settled(t, u, "", []file{{"minio-stopped.bin", ct}})
}

// fill leaves MinIO's data disk about one MiB free (a file taking the
// rest) until the returned function removes it.
func (c *cluster) fill(t *testing.T) (free func()) {
	t.Helper()
	dir := filepath.Join(c.dir, "minio")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(st.Bavail)*st.Bsize - 1<<20
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		_ = os.Remove(path)
		t.Fatalf("filling the data disk (%d bytes): %v", size, err)
	}
	done := false
	free = func() {
		if !done {
			done = true
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(free)
	return free
}

// ownDisk skips the test unless MinIO's data is on a disk of its own
// (cluster.sh up with CLUSTER_DISK_MB, as make test-cluster runs it).
func (c *cluster) ownDisk(t *testing.T) {
	t.Helper()
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mounts, []byte(" "+filepath.Join(c.dir, "minio")+" ")) {
		t.Skip("MinIO's data is not on a disk of its own: start the cluster with CLUSTER_DISK_MB (needs root and a loop device; cluster.sh up says why it could not mount one)")
	}
}

func TestFaultDataDiskFull(t *testing.T) {
	c := open(t)
	c.ownDisk(t)
	u, _ := c.account(t)
	var want []file

	t.Run("during_an_upload", func(t *testing.T) {
		ct := content(threeChunks)
		s, err := u.Init(ctxT(t), "", "disk-full-upload.bin", ct)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.PutChunk(ctxT(t), s, ct, 0, nil); err != nil {
			t.Fatal(err)
		}
		free := c.fill(t)
		acked := map[int64]bool{0: true}
		for _, i := range []int64{1, 2} {
			err := u.PutChunk(ctxT(t), s, ct, i, nil)
			mustBeClear(t, "chunk on a full disk", err)
			if err == nil {
				acked[i] = true
			}
		}
		if len(acked) == 3 {
			t.Error("every chunk was accepted on a full disk")
		}
		free()
		sendMissing(t, u, missingAfter(t, u, s.UploadID, acked), ct)
		want = append(want, file{"disk-full-upload.bin", ct})
	})

	t.Run("during_complete", func(t *testing.T) {
		ct, small := content(threeChunks), content(1<<20)
		if _, err := u.Upload(ctxT(t), "", "disk-full-before.bin", small); err != nil {
			t.Fatal(err)
		}
		want = append(want, file{"disk-full-before.bin", small})
		s, err := u.Init(ctxT(t), "", "disk-full-complete.bin", ct)
		if err != nil {
			t.Fatal(err)
		}
		for i := int64(0); i < int64(s.ChunkCount); i++ {
			if err := u.PutChunk(ctxT(t), s, ct, i, nil); err != nil {
				t.Fatal(err)
			}
		}
		free := c.fill(t)
		_, err = u.Complete(ctxT(t), s.UploadID)
		mustBeClear(t, "complete on a full disk", err)
		free()
		eventually(t, "complete once there is room", 60*time.Second, func() error {
			_, err := u.Complete(ctxT(t), s.UploadID)
			return err
		})
		want = append(want, file{"disk-full-complete.bin", ct})
	})
	// Both uploads whole, nothing partial, the quota their sum.
	settled(t, u, "", want)
}
