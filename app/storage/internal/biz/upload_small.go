package biz

import (
	"bytes"
	"context"
	"errors"
	"io"

	v1 "clouddrive/api/storage/v1"
)

// smallUnhashed is the largest file PutFile takes without its content hash:
// it is read into memory and hashed there. Larger ones need the hash (or the
// chunked protocol), so that no request holds more than this much memory.
const smallUnhashed = 1 << 20

// PutFile stores a file of at most one chunk sent in a single request: the
// bytes with the name, the folder and (optionally) the content hash. It does
// what init, one chunk and complete do — name and quota checks, hashing,
// deduplication, the node and its events — with no upload session.
func (uc *UploadUsecase) PutFile(ctx context.Context, f NewFile, body io.Reader) (*FileNode, error) {
	if f.Size > uc.policy.ChunkSize || f.Size > uc.policy.MaxFileSize {
		return nil, v1.ErrorFileTooLarge("a single-request upload takes at most %d bytes; use the chunked upload", min(uc.policy.ChunkSize, uc.policy.MaxFileSize))
	}
	if f.ContentHash == "" {
		if f.Size > smallUnhashed {
			return nil, v1.ErrorBadChunk("files over %d bytes need their content_hash here (or the chunked upload)", smallUnhashed)
		}
		data, err := readExactly(body, f.Size)
		if err != nil {
			return nil, err
		}
		f.ContentHash = HashBytes(data)
		body = bytes.NewReader(data)
	}
	// Stored already: the bytes are still read and checked (they came with
	// the request), but nothing is written.
	b, err := uc.blobs.Get(ctx, f.ContentHash)
	if err == nil && b.Trusted(f.Size) {
		h := NewBlockHasher()
		if _, err := readExactlyInto(h, body, f.Size); err != nil {
			return nil, err
		}
		if h.Sum() != f.ContentHash {
			return nil, errSmallHashMismatch(h.Sum())
		}
		if ok, err := uc.blobs.Pin(ctx, f.ContentHash, uc.now()); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			return nil, v1.ErrorBlobBusy("this content is being collected; retry in a moment")
		}
		return uc.files.CreateFile(ctx, f)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	unknown := err != nil // no blob of this content a moment ago: the common case

	u := &Upload{ID: randomHex(16), OwnerID: f.Owner, ParentID: f.Parent, Name: f.Name, Mime: f.Mime, Size: f.Size,
		ContentHash: f.ContentHash, ChunkSize: chunkSizeFor(f.Size, uc.policy.ChunkSize), Rename: f.Rename, Version: f.Version, State: UploadOpen}
	ref, err := uc.store.Begin(ctx, u)
	if err != nil {
		return nil, err
	}
	u.BackendRef = ref
	kept := false
	defer func() {
		if !kept {
			_ = uc.store.Discard(context.WithoutCancel(ctx), u)
		}
	}()
	var chunks []*Chunk
	if f.Size > 0 {
		blocks := NewBlockHasher()
		counted := &countingReader{r: io.LimitReader(body, f.Size+1), ctx: ctx}
		etag, err := uc.store.WriteChunk(ctx, u, 0, io.TeeReader(io.LimitReader(counted, f.Size), blocks), f.Size)
		if err != nil {
			if counted.n < f.Size {
				return nil, v1.ErrorBadChunk("the body must be %d bytes, got %d", f.Size, counted.n)
			}
			return nil, err
		}
		if n, _ := io.Copy(io.Discard, io.LimitReader(counted, 1)); n > 0 {
			return nil, v1.ErrorBadChunk("the body is longer than %d bytes", f.Size)
		}
		if got := ContentHash(blocks.Digests()); got != f.ContentHash {
			return nil, errSmallHashMismatch(got)
		}
		chunks = []*Chunk{{UploadID: u.ID, OwnerID: f.Owner, Index: 0, Size: f.Size, Digests: blocks.Digests(), ETag: etag}}
	} else if f.ContentHash != HashBytes(nil) {
		return nil, errSmallHashMismatch(HashBytes(nil))
	}
	// Content unknown a moment ago needs no second look (publishNew copes
	// with a twin that stored it since); a blob in another state does.
	stored := false
	if unknown {
		err = uc.publishNew(ctx, u, chunks)
	} else {
		stored, err = uc.publish(ctx, u, chunks)
	}
	if err != nil {
		return nil, err
	}
	kept = !stored
	return uc.files.CreateFile(ctx, f)
}

func errSmallHashMismatch(got string) error {
	return v1.ErrorHashMismatch("the content does not match its hash").WithMetadata(map[string]string{"content_hash": got})
}

// readExactly reads exactly n bytes of r: no fewer, no more.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(n))
	if _, err := readExactlyInto(&buf, r, n); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readExactlyInto(w io.Writer, r io.Reader, n int64) (int64, error) {
	got, err := io.Copy(w, io.LimitReader(r, n+1))
	if err != nil {
		return got, err
	}
	if got != n {
		return got, v1.ErrorBadChunk("the body must be %d bytes, got %d", n, min(got, n+1))
	}
	return got, nil
}
