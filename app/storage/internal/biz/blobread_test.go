package biz

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"
)

func TestQuarantinedContentIsNeverServed(t *testing.T) {
	ctrl := gomock.NewController(t)
	files, blobs, store := NewMockFileService(ctrl), NewMockBlobRepo(ctrl), NewMockBlobStore(ctrl)
	uc := NewDownloadUsecase(files, blobs, store, nil, &Policy{}, NewClock(), log.NewStdLogger(io.Discard))
	n := &FileNode{ID: 7, Name: "a.bin", ContentHash: "ab" + string(bytes.Repeat([]byte("0"), 62)), Size: 10}
	files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(n, nil).Times(2)

	blobs.EXPECT().Get(gomock.Any(), n.ContentHash).Return(&Blob{Hash: n.ContentHash, Size: 10, QuarantinedAt: &time.Time{}}, nil)
	// No store.Open: the bytes are not even read.
	_, err := uc.Open(context.Background(), 1, 7)
	wantReason(t, err, 410, "CONTENT_QUARANTINED")

	blobs.EXPECT().Get(gomock.Any(), n.ContentHash).Return(&Blob{Hash: n.ContentHash, Size: 10, Verified: true}, nil)
	store.EXPECT().Open(gomock.Any(), n.ContentHash, int64(10)).Return(seekCloser{bytes.NewReader(make([]byte, 10))}, nil)
	o, err := uc.Open(context.Background(), 1, 7)
	if err != nil || o.Node != n {
		t.Fatalf("a healthy blob: %v, %v", o, err)
	}
}
