package data_test

// Chunk writes of many uploads at once, on the real databases: the browser
// suite through the cluster once lost a small file to a MariaDB deadlock
// (error 1213, answered 500) when three pictures were sent together. Each
// chunk's BeginChunk ran in gorm's own transaction at REPEATABLE READ: its
// UPDATE of a chunk row not there yet took a gap lock, and the INSERT that
// followed waited on the other uploads' gap locks.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"clouddrive/app/storage/internal/biz"
)

func TestChunkWritesOfManyUploadsAtOnceNeverDeadlock(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			ctx := context.Background()
			now := time.Now().UTC()
			const uploads, rounds = 8, 25
			for round := range rounds {
				var wg sync.WaitGroup
				errs := make(chan error, uploads)
				for i := range uploads {
					u := &biz.Upload{ID: fmt.Sprintf("u%02d%029d", round, i), OwnerID: int64(1 + i%3), ParentID: 0,
						Name: fmt.Sprintf("f%d", i), Size: 10, Nonce: []byte("nonce"), ChunkSize: biz.BlockSize, State: biz.UploadOpen,
						CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
					wg.Add(1)
					go func() {
						defer wg.Done()
						err := w.uploads.Create(ctx, u)
						if err == nil {
							err = w.uploads.BeginChunk(ctx, u.OwnerID, u.ID, 0, "writer-"+u.ID[:8], now, now.Add(-time.Minute))
						}
						if err == nil {
							err = w.uploads.EndChunk(ctx, &biz.Chunk{UploadID: u.ID, OwnerID: u.OwnerID, Index: 0, Size: 10,
								Digests: make([]byte, 32)}, "writer-"+u.ID[:8])
						}
						if err == nil {
							err = w.uploads.Finish(ctx, u.OwnerID, u.ID, biz.UploadCompleted, int64(i+1))
						}
						if err != nil {
							errs <- fmt.Errorf("upload %s: %w", u.ID, err)
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		})
	}
}
