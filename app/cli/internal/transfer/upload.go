package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/cli/internal/progress"
	"clouddrive/pkg/contenthash"
)

// Upload is one local file to put into a drive folder.
type Upload struct {
	Local    string
	ParentID string
	Name     string
	// Display is the remote path shown in messages.
	Display string
	// OnConflict is "fail" (the default) or "rename".
	OnConflict string
}

// UploadResult says how the file got there.
type UploadResult struct {
	Node *filev1.Node
	// Instant: the content was stored already and the proof was accepted.
	Instant bool
	// Existing: a file of that name with the same content was there already.
	Existing bool
	Chunks   int64 // of the upload
	Held     int64 // already on the server when this run started (resume)
	Sent     int64 // sent by this run
}

// ErrChanged is returned when the local file changes during an upload.
var ErrChanged = errors.New("the file changed while it was being read; upload it again")

// Upload puts one file. An earlier interrupted upload of the same file to
// the same place resumes: only the chunks the server lacks are sent.
func (c *Config) Upload(ctx context.Context, u Upload) (*UploadResult, error) {
	f, err := os.Open(u.Local)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", u.Local)
	}
	size := fi.Size()
	task := c.Reporter.Start("put", u.Display, size)
	var (
		res  *UploadResult
		note string
	)
	if size < SendAtOnceFrom {
		res, note, err = c.upload(ctx, f, size, u, task)
	} else {
		res, note, err = c.uploadAtOnce(ctx, f, size, fi.ModTime(), u, task)
	}
	if err != nil {
		task.Fail()
		return nil, err
	}
	task.Done(note)
	return res, nil
}

// upload hashes the file first, then starts (or resumes) an upload that
// names the hash: instant when the content is stored, else the chunks.
func (c *Config) upload(ctx context.Context, f *os.File, size int64, u Upload, task *progress.Task) (*UploadResult, string, error) {
	// 1. The content hash: the blocks are hashed in parallel.
	task.Phase(progress.Hashing, 0)
	hash, err := c.hashFile(ctx, f, size, task)
	if err != nil {
		return nil, "", err
	}

	// 2. Start or resume the session.
	req := &storagev1.InitUploadRequest{ParentId: u.ParentID, Name: u.Name, Size: size, ContentHash: hash,
		OnConflict: u.OnConflict, Mime: mimeOf(u.Name)}
	var sess *storagev1.UploadSession
	err = c.retry(ctx, func(ctx context.Context) (err error) {
		sess, err = c.Storage.InitUpload(ctx, req)
		return err
	})
	if filev1.IsNameConflict(err) && u.OnConflict != "rename" && c.FS != nil {
		// Running the same put again: a file with this content is done.
		if have, lerr := c.FS.Lookup(ctx, u.ParentID, u.Name); lerr == nil && have != nil &&
			have.GetKind() == "file" && have.GetContentHash() == hash && have.GetSize() == size {
			task.Phase("", size)
			return &UploadResult{Node: have, Existing: true}, "already there", nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	res := &UploadResult{Chunks: sess.GetChunkCount()}

	// 3. Instant upload: prove possession of the challenged range.
	if ch := sess.GetChallenge(); ch.GetNonce() != "" && rangesInside(ch.GetRanges(), size) {
		node, err := c.prove(ctx, f, sess)
		if err == nil {
			c.stats().InstantFiles.Add(1)
			res.Node, res.Instant = node, true
			task.Phase("", size)
			return res, "instant", nil
		}
		if !storagev1.IsProofRejected(err) {
			return nil, "", err
		}
	}

	// 4. The chunks the server lacks, then complete.
	missing := c.missingChunks(sess, res, task)
	sent, err := c.sendChunks(ctx, f, sess, missing, task)
	res.Sent += sent
	if err != nil {
		return nil, "", err
	}
	return c.complete(ctx, f, sess, "", res, task)
}

// missingChunks are the chunks of sess the server lacks; res.Held and the
// bar count the others.
func (c *Config) missingChunks(sess *storagev1.UploadSession, res *UploadResult, task *progress.Task) []int64 {
	held := map[int64]bool{}
	var heldBytes int64
	for _, i := range sess.GetUploadedChunks() {
		if i >= 0 && i < sess.GetChunkCount() && !held[i] {
			held[i] = true
			heldBytes += chunkLen(sess, i)
		}
	}
	res.Held = int64(len(held))
	task.Phase("sending", heldBytes)
	missing := make([]int64, 0, sess.GetChunkCount()-res.Held)
	for i := int64(0); i < sess.GetChunkCount(); i++ {
		if !held[i] {
			missing = append(missing, i)
		}
	}
	return missing
}

// complete completes sess once its chunks are sent, sending again those
// the server lost meanwhile (a few rounds). hash, when not empty, is the
// client's own hash of a hashless upload: the server checks it.
func (c *Config) complete(ctx context.Context, f *os.File, sess *storagev1.UploadSession, hash string, res *UploadResult, task *progress.Task) (*UploadResult, string, error) {
	for round := 0; ; round++ {
		var node *filev1.Node
		err := c.retry(ctx, func(ctx context.Context) (err error) {
			node, err = c.Storage.CompleteUpload(ctx, &storagev1.CompleteUploadRequest{UploadId: sess.GetUploadId(), ContentHash: hash})
			return err
		})
		switch {
		case err == nil:
			res.Node = node
			note := ""
			if res.Held > 0 {
				note = fmt.Sprintf("resumed: %d of %d chunks were there", res.Held, res.Chunks)
			}
			return res, note, nil
		case storagev1.IsChunksMissing(err) && round < 3:
			// Lost on the server meanwhile (an expired or restarted session):
			// ask which, and send them again.
			var st *storagev1.UploadSession
			if err := c.retry(ctx, func(ctx context.Context) (err error) {
				st, err = c.Storage.UploadStatus(ctx, &storagev1.UploadStatusRequest{UploadId: sess.GetUploadId()})
				return err
			}); err != nil {
				return nil, "", err
			}
			var missing []int64
			for i := int64(0); i < sess.GetChunkCount(); i++ {
				if !slices.Contains(st.GetUploadedChunks(), i) {
					missing = append(missing, i)
					task.Add(-chunkLen(sess, i))
				}
			}
			sent, err := c.sendChunks(ctx, f, sess, missing, task)
			res.Sent += sent
			if err != nil {
				return nil, "", err
			}
		case kerrors.Reason(err) == storagev1.ErrorReason_HASH_MISMATCH.String():
			// By reason alone: over gRPC the 422 arrives as another code.
			return nil, "", ErrChanged
		default:
			return nil, "", err
		}
	}
}

// rangesInside says every challenged range lies inside the file.
func rangesInside(rs []*storagev1.ChallengeRange, size int64) bool {
	for _, r := range rs {
		if r.GetOffset() < 0 || r.GetLength() < 0 || r.GetOffset()+r.GetLength() > size {
			return false
		}
	}
	return len(rs) > 0
}

// prove answers the session's challenge: SHA-256(nonce ‖ each range, in order).
func (c *Config) prove(ctx context.Context, f *os.File, sess *storagev1.UploadSession) (*filev1.Node, error) {
	ch := sess.GetChallenge()
	nonce, err := hex.DecodeString(ch.GetNonce())
	if err != nil {
		return nil, fmt.Errorf("the server sent a malformed challenge: %w", err)
	}
	h := sha256.New()
	h.Write(nonce)
	for _, r := range ch.GetRanges() {
		if _, err := io.Copy(h, io.NewSectionReader(f, r.GetOffset(), r.GetLength())); err != nil {
			return nil, err
		}
	}
	proof := hex.EncodeToString(h.Sum(nil))
	var node *filev1.Node
	err = c.retry(ctx, func(ctx context.Context) (err error) {
		node, err = c.Storage.ProveUpload(ctx, &storagev1.ProveUploadRequest{UploadId: sess.GetUploadId(), Proof: proof})
		return err
	})
	return node, err
}

func chunkLen(sess *storagev1.UploadSession, i int64) int64 {
	off := i * sess.GetChunkSize()
	return max(0, min(sess.GetChunkSize(), sess.GetSize()-off))
}

// sendChunks sends the chunks on the workers, one stream per chunk, and
// returns how many were acknowledged.
func (c *Config) sendChunks(ctx context.Context, f *os.File, sess *storagev1.UploadSession, idx []int64, task *progress.Task) (int64, error) {
	if len(idx) == 0 {
		return 0, nil
	}
	if sess.GetChunkSize() <= 0 {
		return 0, fmt.Errorf("the server sent a chunk size of %d", sess.GetChunkSize())
	}
	bufs := make([][]byte, min(c.jobs(), len(idx)))
	var sent atomic.Int64
	err := pool(ctx, c.jobs(), idx, func(ctx context.Context, w int, i int64) error {
		if bufs[w] == nil {
			bufs[w] = make([]byte, MessageSize)
		}
		if err := c.sendChunk(ctx, f, sess, i, bufs[w], task); err != nil {
			return err
		}
		sent.Add(1)
		st := c.stats()
		st.ChunksSent.Add(1)
		st.BytesSent.Add(chunkLen(sess, i))
		if c.Hooks.AfterChunk != nil {
			c.Hooks.AfterChunk(i)
		}
		return nil
	})
	return sent.Load(), err
}

// sendChunk streams one chunk in MessageSize messages and waits for the
// server's acknowledgement. A failed try takes its bytes back from the bar.
func (c *Config) sendChunk(ctx context.Context, f *os.File, sess *storagev1.UploadSession, i int64, buf []byte, task *progress.Task) error {
	off, length := i*sess.GetChunkSize(), chunkLen(sess, i)
	return c.retry(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var moved int64
		err := func() error {
			stream, err := c.Storage.UploadChunks(ctx)
			if err != nil {
				return err
			}
			r := io.NewSectionReader(f, off, length)
			first := true
			for {
				n, rerr := io.ReadFull(r, buf)
				if n > 0 {
					// The message is encoded before Send returns (no stats
					// handler holds it), so the buffer is reused.
					msg := &storagev1.ChunkData{Index: i, Data: buf[:n]}
					if first {
						msg.UploadId, first = sess.GetUploadId(), false
					}
					if err := stream.Send(msg); err != nil {
						if errors.Is(err, io.EOF) { // the server ended the stream: its reason
							_, err = stream.CloseAndRecv()
						}
						return err
					}
					moved += int64(n)
					task.Add(int64(n))
				}
				if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
					break
				}
				if rerr != nil {
					return rerr
				}
			}
			if moved != length {
				return ErrChanged
			}
			_, err = stream.CloseAndRecv()
			return err
		}()
		if err != nil {
			task.Add(-moved)
		}
		return err
	})
}

// hashFile computes the content hash of the first size bytes of f, its
// 4 MiB blocks hashed in parallel on the workers (memory: a 256 KiB read
// buffer per worker).
func (c *Config) hashFile(ctx context.Context, f *os.File, size int64, task *progress.Task) (string, error) {
	n := (size + contenthash.BlockSize - 1) / contenthash.BlockSize
	blocks := make([]int64, n)
	for i := range blocks {
		blocks[i] = int64(i)
	}
	digests := make([]byte, n*sha256.Size)
	bufs := make([][]byte, c.jobs())
	err := pool(ctx, c.jobs(), blocks, func(ctx context.Context, w int, i int64) error {
		if bufs[w] == nil {
			bufs[w] = make([]byte, 256<<10)
		}
		off := i * contenthash.BlockSize
		want := min(contenthash.BlockSize, size-off)
		h := sha256.New()
		got, err := io.CopyBuffer(h, &countingReader{r: io.NewSectionReader(f, off, want), task: task}, bufs[w])
		if err != nil {
			return err
		}
		if got != want {
			return ErrChanged
		}
		h.Sum(digests[i*sha256.Size : i*sha256.Size : (i+1)*sha256.Size])
		return nil
	})
	if err != nil {
		return "", err
	}
	return contenthash.ContentHash(digests), nil
}

// countingReader reports the bytes read to the task.
type countingReader struct {
	r    io.Reader
	task *progress.Task // nil: not counted (hashing beside sending)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.task != nil {
		c.task.Add(int64(n))
	}
	return n, err
}

// mimeOf guesses the media type from the name's extension, without
// parameters ("text/plain"); empty when unknown.
func mimeOf(name string) string {
	t := mime.TypeByExtension(filepath.Ext(name))
	if t == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return ""
}
