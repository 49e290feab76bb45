package biz

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"go.uber.org/mock/gomock"
)

// A backend that fails while the chunk streams to it (MinIO stopped, its
// disk full) stops reading the body: that is the backend's failure, passed
// on for the service to name, not the client's body "too short".
func TestPutChunkBackendFailureIsNotABadChunk(t *testing.T) {
	data := randomBytes(9, 2*BlockSize)
	l := Layout{Size: int64(len(data)), ChunkSize: 2 * BlockSize}
	down := errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	for _, read := range []int64{0, BlockSize} {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
		f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(0), gomock.Any(), l.Len(0)).DoAndReturn(
			func(_ context.Context, _ *Upload, _ int64, r io.Reader, _ int64) (string, error) {
				_, _ = io.CopyN(io.Discard, r, read)
				return "", down
			})
		f.uploads.EXPECT().AbortChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any()).Return(nil)
		err := f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(data), nil)
		if !errors.Is(err, down) {
			t.Errorf("backend failing after %d bytes read: PutChunk = %v, want the backend's error", read, err)
		}
	}
}
