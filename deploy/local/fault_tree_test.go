package local_test

// Faults under the file tree: a file instance SIGKILLed in the middle of a
// move of 1,000 nodes, and MariaDB restarted in the middle of a move (after
// a SIGKILL) and of an upload (after a clean stop). A move is one transaction: afterwards the 1,000 nodes are all
// where they were or all where they went, and the move done again finishes
// the job.

import (
	"fmt"
	"testing"
	"time"

	"clouddrive/tools/loadgen/drive"
)

const subtree = 1000

// thousand makes folders src and dst, and 1,000 folders in src (ten made,
// then copied onto themselves until there are enough): their ids.
func thousand(t *testing.T, u *drive.Client) (src, dst string, ids []string) {
	t.Helper()
	s, err := u.Mkdir(ctxT(t), "", "src")
	if err != nil {
		t.Fatal(err)
	}
	d, err := u.Mkdir(ctxT(t), "", "dst")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		n, err := u.Mkdir(ctxT(t), s.ID, fmt.Sprintf("d%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	for len(ids) < subtree {
		batch := ids[:min(len(ids), subtree-len(ids))]
		copies, err := u.Copy(ctxT(t), batch, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range copies {
			ids = append(ids, n.ID)
		}
	}
	return s.ID, d.ID, ids
}

// whereAre counts the children of src and dst.
func whereAre(t *testing.T, u *drive.Client, src, dst string) (inSrc, inDst int) {
	t.Helper()
	var a, b []drive.Node
	eventually(t, "list src and dst", 30*time.Second, func() (err error) {
		if a, err = u.ListAll(ctxT(t), src); err != nil {
			return err
		}
		b, err = u.ListAll(ctxT(t), dst)
		return err
	})
	return len(a), len(b)
}

// atomic fails unless the 1,000 nodes are all in one of the folders.
func atomicMove(t *testing.T, u *drive.Client, src, dst string) {
	t.Helper()
	inSrc, inDst := whereAre(t, u, src, dst)
	t.Logf("after the fault: %d in src, %d in dst", inSrc, inDst)
	if !(inSrc == subtree && inDst == 0) && !(inSrc == 0 && inDst == subtree) {
		t.Errorf("a move of %d nodes was cut in two: %d in src, %d in dst", subtree, inSrc, inDst)
	}
}

// midMove starts moving ids into dst on one file instance and calls fault
// as soon as the move's transaction has changed rows. false: the move was
// over before it could be caught (the caller tries again).
func midMove(t *testing.T, c *cluster, u *drive.Client, inst string, ids []string, dst string, fault func()) (caught bool, err error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.direct(u, inst).Move(ctxT(t), ids, dst) }()
	if !waitWriting(t, c.db(t, ""), 20*time.Second) {
		return false, <-done
	}
	fault()
	return true, <-done
}

func TestFaultFileKilledDuringMoveOf1000Nodes(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	src, dst, ids := thousand(t, u)
	for try := 0; ; try++ {
		caught, err := midMove(t, c, u, "file-1", ids, dst, func() { c.kill9(t, "file-1") })
		if caught {
			t.Logf("file-1 killed mid-move; the call got: %v", err)
			break
		}
		if try == 3 {
			t.Skip("the move of 1,000 nodes never lasted long enough to be caught")
		}
		if err := u.Move(ctxT(t), ids, src); err != nil { // back, and again
			t.Fatal(err)
		}
	}
	atomicMove(t, u, src, dst)
	// file-2 (through the gateway) does the move again, whole.
	eventually(t, "move again", 60*time.Second, func() error { return u.Move(ctxT(t), ids, dst) })
	c.start(t, "file-1")
	if inSrc, inDst := whereAre(t, u, src, dst); inSrc != 0 || inDst != subtree {
		t.Errorf("after the move again: %d in src, %d in dst", inSrc, inDst)
	}
	usageMatches(t, u)
}

func TestFaultMariaDBRestarted(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)

	t.Run("mid_move", func(t *testing.T) {
		src, dst, ids := thousand(t, u)
		var err error
		caught := false
		for try := 0; !caught; try++ {
			// SIGKILL: a clean stop lets the transaction under way finish
			// first; a crash rolls it back on restart.
			caught, err = midMove(t, c, u, "file-1", ids, dst, func() { c.kill9(t, "mariadb") })
			if caught {
				break
			}
			if try == 3 {
				t.Skip("the move of 1,000 nodes never lasted long enough to be caught")
			}
			if err := u.Move(ctxT(t), ids, src); err != nil {
				t.Fatal(err)
			}
		}
		mustBeClear(t, "the move", err)
		_, err = u.ListAll(ctxT(t), "")
		mustBeClear(t, "list", err)
		c.start(t, "mariadb")
		atomicMove(t, u, src, dst)
		eventually(t, "move again", 60*time.Second, func() error { return u.Move(ctxT(t), ids, dst) })
		if inSrc, inDst := whereAre(t, u, src, dst); inSrc != 0 || inDst != subtree {
			t.Errorf("after the move again: %d in src, %d in dst", inSrc, inDst)
		}
	})

	t.Run("mid_upload", func(t *testing.T) {
		ct := content(threeChunks)
		s, err := u.Init(ctxT(t), "", "mariadb-restarted.bin", ct)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.PutChunk(ctxT(t), s, ct, 0, nil); err != nil {
			t.Fatal(err)
		}
		c.stop(t, "mariadb")
		acked := map[int64]bool{0: true}
		err = u.PutChunk(ctxT(t), s, ct, 1, nil)
		mustBeClear(t, "chunk 1", err)
		if err == nil {
			acked[1] = true
		}
		_, err = u.Complete(ctxT(t), s.UploadID)
		mustBeClear(t, "complete", err)
		c.start(t, "mariadb")
		sendMissing(t, u, missingAfter(t, u, s.UploadID, acked), ct)
		var nodes []drive.Node
		eventually(t, "list", 30*time.Second, func() (err error) {
			nodes, err = u.ListAll(ctxT(t), "")
			return err
		})
		var n int
		for _, x := range nodes {
			if x.Name == "mariadb-restarted.bin" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the upload is listed %d times, want once", n)
		}
	})
	usageMatches(t, u)
}
