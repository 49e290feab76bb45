package data

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/testkit/crashfs"
)

// The local store on a file system that keeps only what was synced
// (crashfs), through a power cut and a reboot: a published blob is there
// (its fan-out folders' names were synced too), and an open upload can go
// on (its part file's name was synced; its unsynced chunks are found lost).
func TestLocalStorePowerCut(t *testing.T) {
	if err := crashfs.Usable(); err != nil {
		t.Skipf("FUSE is not usable here: %v", err)
	}
	mnt := t.TempDir()
	disk, err := crashfs.Mount(mnt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = disk.Unmount() }()
	ctx := context.Background()
	root := filepath.Join(mnt, "data", "blobs")
	s, err := NewLocalStore(root)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(id string, b []byte) (*biz.Upload, *biz.Chunk) {
		h := biz.NewBlockHasher()
		h.Write(b)
		u := &biz.Upload{ID: id, Size: int64(len(b)), ChunkSize: 8 << 20, ContentHash: biz.ContentHash(h.Digests()),
			ExpiresAt: time.Now().Add(time.Hour)}
		if _, err := s.Begin(ctx, u); err != nil {
			t.Fatal(err)
		}
		etag, err := s.WriteChunk(ctx, u, 0, bytes.NewReader(b), u.Size)
		if err != nil {
			t.Fatal(err)
		}
		return u, &biz.Chunk{UploadID: id, Index: 0, Size: u.Size, Digests: h.Digests(), ETag: etag}
	}
	done := bytes.Repeat([]byte("published "), 1000)
	du, dc := upload("done", done)
	if err := s.Publish(ctx, du, []*biz.Chunk{dc}); err != nil {
		t.Fatal(err)
	}
	open := bytes.Repeat([]byte("left open "), 1000)
	ou, oc := upload("open", open)

	img := disk.Cut(nil)
	if err := disk.Unmount(); err != nil {
		t.Fatal(err)
	}
	if disk, err = crashfs.Mount(mnt, img); err != nil {
		t.Fatal(err)
	}
	if s, err = NewLocalStore(root); err != nil {
		t.Fatal(err)
	}
	s.SetBootForTest("after-the-cut")

	r, err := s.Open(ctx, du.ContentHash, du.Size)
	if err != nil {
		t.Fatalf("the published blob after the cut: %v", err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, done) {
		t.Fatalf("the published blob holds %d bytes, want the %d written", len(got), len(done))
	}
	// The open upload's chunk was never synced: complete must find it
	// lost, not publish the zeros; sent again, it publishes.
	var lost *biz.LostChunksError
	if err := s.Publish(ctx, ou, []*biz.Chunk{oc}); !errors.As(err, &lost) {
		t.Fatalf("publishing a chunk lost in the cut: %v, want LostChunksError", err)
	}
	etag, err := s.WriteChunk(ctx, ou, 0, bytes.NewReader(open), ou.Size)
	if err != nil {
		t.Fatalf("writing the chunk again after the cut: %v", err)
	}
	oc.ETag = etag
	if err := s.Publish(ctx, ou, []*biz.Chunk{oc}); err != nil {
		t.Fatal(err)
	}
	if err := disk.Unmount(); err != nil {
		t.Fatal(err)
	}
}
