package data_test

// A pin that changes nothing still pins: on MySQL an UPDATE's affected rows
// counted only changed rows, so a second pin within the same millisecond
// (a deduplicated small file right after its twin) read as "being
// collected" and was refused with BLOB_BUSY, where SQLite said pinned.

import (
	"testing"
	"time"

	"clouddrive/app/storage/internal/biz"
)

func TestPinTwiceAtTheSameInstantPinsBothTimes(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			at := time.Now().UTC().Truncate(time.Millisecond)
			hash := biz.HashBytes([]byte("pinned twice"))
			if err := w.blobs.Create(w.ctx, &biz.Blob{Hash: hash, Size: 12, Verified: true, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				ok, err := w.blobs.Pin(w.ctx, hash, at)
				if err != nil || !ok {
					t.Fatalf("pin %d: %v, %v; want pinned", i+1, ok, err)
				}
			}
		})
	}
}
