package biz

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"
)

type gcFixture struct {
	ctx     context.Context
	uploads *MockUploadRepo
	blobs   *MockBlobRepo
	store   *MockBlobStore
	files   *MockFileService
	now     time.Time
	uc      *GCUsecase
}

func newGCFixture(t *testing.T) *gcFixture {
	ctrl := gomock.NewController(t)
	f := &gcFixture{ctx: context.Background(), uploads: NewMockUploadRepo(ctrl), blobs: NewMockBlobRepo(ctrl),
		store: NewMockBlobStore(ctrl), files: NewMockFileService(ctrl), now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	f.uc = NewGCUsecase(f.uploads, f.blobs, f.store, f.files, &Policy{BlobGrace: time.Hour}, func() time.Time { return f.now },
		log.NewStdLogger(io.Discard))
	return f
}

func (f *gcFixture) noUploads() {
	f.uploads.EXPECT().Expired(gomock.Any(), f.now, 200).Return(nil, nil)
}

func (f *gcFixture) blobsAre(bs ...*Blob) {
	after := ""
	if len(bs) > 0 {
		f.blobs.EXPECT().List(gomock.Any(), "", 500).Return(bs, nil)
		after = bs[len(bs)-1].Hash
	}
	f.blobs.EXPECT().List(gomock.Any(), after, 500).Return(nil, nil)
}

func TestGCCollectsExpiredUploads(t *testing.T) {
	f := newGCFixture(t)
	open := &Upload{ID: "a", OwnerID: 1, State: UploadOpen}
	done := &Upload{ID: "b", OwnerID: 2, State: UploadCompleted}
	gomock.InOrder(
		f.uploads.EXPECT().Expired(gomock.Any(), f.now, 200).Return([]*Upload{open, done}, nil),
		f.uploads.EXPECT().Expired(gomock.Any(), f.now, 200).Return(nil, nil),
	)
	f.store.EXPECT().Discard(gomock.Any(), open).Return(nil) // only the open one has chunks
	f.uploads.EXPECT().Delete(gomock.Any(), int64(1), "a").Return(nil)
	f.uploads.EXPECT().Delete(gomock.Any(), int64(2), "b").Return(nil)
	f.blobsAre()
	out, err := f.uc.Run(f.ctx)
	if err != nil || out.Uploads != 2 || out.Blobs != 0 {
		t.Fatalf("%+v, %v", out, err)
	}
}

func TestGCSweep(t *testing.T) {
	long := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fresh := &Blob{Hash: "a1", Size: 1}                            // unreferenced, first seen now
	stale := &Blob{Hash: "b2", Size: 20, UnreferencedSince: &long} // unreferenced for long
	back := &Blob{Hash: "c3", Size: 3, UnreferencedSince: &long}   // referenced again
	used := &Blob{Hash: "d4", Size: 4}                             // referenced
	claimed := &Blob{Hash: "e5", Size: 50, Deleting: true}         // a claim a crash left
	f := newGCFixture(t)
	f.noUploads()
	f.blobsAre(fresh, stale, back, used, claimed)
	f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"a1", "b2", "c3", "d4"}).Return([]string{"c3", "d4"}, nil)
	f.blobs.EXPECT().Unmark(gomock.Any(), []string{"c3"}).Return(nil)
	f.blobs.EXPECT().Mark(gomock.Any(), []string{"a1", "b2", "e5"}, f.now).Return(nil)
	f.blobs.EXPECT().Claim(gomock.Any(), "b2", f.now.Add(-time.Hour), f.now.Add(-time.Hour)).Return(true, nil)
	f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"b2"}).Return(nil, nil)
	f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"e5"}).Return(nil, nil)
	for _, h := range []string{"b2", "e5"} {
		f.store.EXPECT().Delete(gomock.Any(), h).Return(nil)
		f.blobs.EXPECT().Delete(gomock.Any(), h).Return(nil)
	}
	out, err := f.uc.Run(f.ctx)
	if err != nil || out.Blobs != 2 || out.Bytes != 70 {
		t.Fatalf("%+v, %v", out, err)
	}
}

func TestGCClaimRefused(t *testing.T) {
	long := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &Blob{Hash: "b2", Size: 20, UnreferencedSince: &long}
	f := newGCFixture(t)
	f.noUploads()
	f.blobsAre(b)
	f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"b2"}).Return(nil, nil)
	f.blobs.EXPECT().Unmark(gomock.Any(), gomock.Len(0)).Return(nil)
	f.blobs.EXPECT().Mark(gomock.Any(), []string{"b2"}, f.now).Return(nil)
	// Pinned since the listing (or marked again within the grace): no claim,
	// and then nothing is deleted.
	f.blobs.EXPECT().Claim(gomock.Any(), "b2", f.now.Add(-time.Hour), f.now.Add(-time.Hour)).Return(false, nil)
	out, err := f.uc.Run(f.ctx)
	if err != nil || out.Blobs != 0 {
		t.Fatalf("%+v, %v", out, err)
	}
}

func TestGCRecheckAfterClaim(t *testing.T) {
	long := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &Blob{Hash: "b2", Size: 20, UnreferencedSince: &long}
	f := newGCFixture(t)
	f.noUploads()
	f.blobsAre(b)
	gomock.InOrder(
		f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"b2"}).Return(nil, nil),
		f.blobs.EXPECT().Claim(gomock.Any(), "b2", gomock.Any(), gomock.Any()).Return(true, nil),
		// A node appeared between the question and the claim.
		f.files.EXPECT().ReferencedHashes(gomock.Any(), []string{"b2"}).Return([]string{"b2"}, nil),
		f.blobs.EXPECT().Unclaim(gomock.Any(), "b2").Return(nil),
	)
	f.blobs.EXPECT().Unmark(gomock.Any(), gomock.Any()).Return(nil)
	f.blobs.EXPECT().Mark(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	out, err := f.uc.Run(f.ctx)
	if err != nil || out.Blobs != 0 {
		t.Fatalf("%+v, %v", out, err)
	}
}
