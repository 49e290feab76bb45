package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/cli/internal/progress"
)

// SendAtOnceFrom is the size from which a file starts going up at once,
// hashed in parallel, rather than hashed first: below it hashing costs
// less than the round trips of trying instant upload beside the sending.
const SendAtOnceFrom = 8 << 20

type hashed struct {
	hash string
	err  error
}

type sendDone struct {
	sent int64
	err  error
}

// uploadAtOnce starts sending at once, in an upload begun without a hash,
// while the file is hashed in parallel. Once the hash is known, and chunks
// are still going, an init that names it and a proof try instant upload:
// if the content is stored already, the sending stops, the hashless upload
// is aborted and the file is done. Otherwise complete names the hash, so a
// file that changed while it was read is refused. An interrupted run is
// resumed by the next one from a record kept in StateDir (the server finds
// no hashless upload by its file).
func (c *Config) uploadAtOnce(ctx context.Context, f *os.File, size int64, mtime time.Time, u Upload, task *progress.Task) (*UploadResult, string, error) {
	rec := c.recordPath(u, size, mtime)
	res, note, err, resumed := c.sendAtOnce(ctx, f, size, rec, true, u, task)
	if resumed && storagev1.IsUploadClosed(err) {
		// The recorded upload was aborted or expired meanwhile: afresh.
		_ = os.Remove(rec)
		res, note, err, _ = c.sendAtOnce(ctx, f, size, rec, false, u, task)
	}
	return res, note, err
}

func (c *Config) sendAtOnce(ctx context.Context, f *os.File, size int64, rec string, resume bool, u Upload, task *progress.Task) (_ *UploadResult, _ string, _ error, resumed bool) {
	hctx, stopHash := context.WithCancel(ctx)
	defer stopHash()
	hashCh := make(chan hashed, 1)
	go func() {
		h, err := c.hashFile(hctx, f, size, nil)
		hashCh <- hashed{h, err}
	}()
	var hr *hashed
	waitHash := func() hashed {
		if hr == nil {
			r := <-hashCh
			hr = &r
		}
		return *hr
	}
	// The hash goroutine reads f, which the caller closes after return.
	defer func() { stopHash(); waitHash() }()

	sess, resumed, err := c.startHashless(ctx, rec, resume, u, size)
	if filev1.IsNameConflict(err) && u.OnConflict != "rename" && c.FS != nil {
		// Running the same put again: a file with this content is done.
		if h := waitHash(); h.err == nil {
			if have, lerr := c.FS.Lookup(ctx, u.ParentID, u.Name); lerr == nil && have != nil &&
				have.GetKind() == "file" && have.GetContentHash() == h.hash && have.GetSize() == size {
				task.Phase("", size)
				return &UploadResult{Node: have, Existing: true}, "already there", nil, false
			}
		}
	}
	if err != nil {
		return nil, "", err, resumed
	}
	res := &UploadResult{Chunks: sess.GetChunkCount()}
	missing := c.missingChunks(sess, res, task)

	sctx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	sentCh := make(chan sendDone, 1)
	go func() {
		n, err := c.sendChunks(sctx, f, sess, missing, task)
		sentCh <- sendDone{n, err}
	}()
	var sd *sendDone
	waitSent := func() sendDone {
		if sd == nil {
			r := <-sentCh
			sd = &r
		}
		return *sd
	}
	defer func() { stopSend(); waitSent() }()

	for hr == nil || sd == nil {
		select {
		case r := <-hashCh:
			hr = &r
			if r.err != nil {
				return nil, "", r.err, resumed
			}
			if c.Hooks.Hashed != nil {
				c.Hooks.Hashed()
			}
			if sd != nil {
				continue // every chunk went already: complete checks the hash
			}
			node, err := c.instant(ctx, f, size, r.hash, u)
			if err != nil {
				return nil, "", err, resumed
			}
			if node != nil {
				stopSend()
				res.Sent += waitSent().sent
				c.abort(ctx, sess.GetUploadId())
				_ = os.Remove(rec)
				c.stats().InstantFiles.Add(1)
				res.Node, res.Instant = node, true
				task.Phase("", size)
				return res, "instant", nil, resumed
			}
		case r := <-sentCh:
			sd = &r
			res.Sent += r.sent
			if r.err != nil {
				return nil, "", r.err, resumed
			}
		}
	}
	out, note, err := c.complete(ctx, f, sess, hr.hash, res, task)
	if err == nil || errors.Is(err, ErrChanged) { // the upload is done with either way
		_ = os.Remove(rec)
	}
	return out, note, err, resumed
}

// startHashless resumes the upload recorded for this file when there is
// one (and resume allows), else begins one without a hash and records it.
func (c *Config) startHashless(ctx context.Context, rec string, resume bool, u Upload, size int64) (*storagev1.UploadSession, bool, error) {
	if id := readRecord(rec); resume && id != "" {
		var st *storagev1.UploadSession
		err := c.retry(ctx, func(ctx context.Context) (err error) {
			st, err = c.Storage.UploadStatus(ctx, &storagev1.UploadStatusRequest{UploadId: id})
			return err
		})
		switch {
		case err == nil && st.GetSize() == size && st.GetContentHash() == "":
			return st, true, nil
		case err != nil && !storagev1.IsUploadNotFound(err):
			return nil, false, err
		}
		_ = os.Remove(rec)
	}
	req := &storagev1.InitUploadRequest{ParentId: u.ParentID, Name: u.Name, Size: size,
		OnConflict: u.OnConflict, Mime: mimeOf(u.Name)}
	var sess *storagev1.UploadSession
	err := c.retry(ctx, func(ctx context.Context) (err error) {
		sess, err = c.Storage.InitUpload(ctx, req)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	// Best effort: without the record a later run only starts afresh.
	writeRecord(rec, sess.GetUploadId())
	return sess, false, nil
}

// instant tries instant upload of the file with its hash: an init that
// names it, and the proof. A nil node and nil error: the content is not
// stored (or the proof was refused), and the session opened to try is
// aborted.
func (c *Config) instant(ctx context.Context, f *os.File, size int64, hash string, u Upload) (*filev1.Node, error) {
	req := &storagev1.InitUploadRequest{ParentId: u.ParentID, Name: u.Name, Size: size, ContentHash: hash,
		OnConflict: u.OnConflict, Mime: mimeOf(u.Name)}
	var sess *storagev1.UploadSession
	err := c.retry(ctx, func(ctx context.Context) (err error) {
		sess, err = c.Storage.InitUpload(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if ch := sess.GetChallenge(); ch.GetNonce() != "" && rangesInside(ch.GetRanges(), size) {
		node, err := c.prove(ctx, f, sess)
		if err == nil {
			return node, nil
		}
		if !storagev1.IsProofRejected(err) {
			return nil, err
		}
	}
	c.abort(ctx, sess.GetUploadId())
	return nil, nil
}

// abort drops an upload this run no longer needs. A failure only leaves it
// to expire on the server.
func (c *Config) abort(ctx context.Context, id string) {
	_ = c.retry(ctx, func(ctx context.Context) error {
		_, err := c.Storage.AbortUpload(ctx, &storagev1.AbortUploadRequest{UploadId: id})
		return err
	})
}

// recordPath is where the upload of this very file (path, size,
// modification time) to this place is recorded; "" without a StateDir.
func (c *Config) recordPath(u Upload, size int64, mtime time.Time) string {
	if c.StateDir == "" {
		return ""
	}
	abs, err := filepath.Abs(u.Local)
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, s := range []string{abs, u.ParentID, u.Name, u.OnConflict, strconv.FormatInt(size, 10), strconv.FormatInt(mtime.UnixNano(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return filepath.Join(c.StateDir, hex.EncodeToString(h.Sum(nil)[:16])+".json")
}

type putRecord struct {
	UploadID string `json:"upload_id"`
}

func readRecord(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var r putRecord
	if json.Unmarshal(b, &r) != nil {
		return ""
	}
	return r.UploadID
}

func writeRecord(path, id string) {
	if path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	b, _ := json.Marshal(putRecord{UploadID: id})
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}
