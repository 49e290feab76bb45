package biz

import (
	"context"
	"testing"

	"go.uber.org/mock/gomock"
)

// hashless is an open upload of data begun without a content hash.
func (f *upFixture) hashless(data []byte) *Upload {
	u := f.open(data)
	u.ContentHash, u.Hashless, u.Nonce, u.ChallengePeriod = "", true, nil, 0
	return u
}

func TestInitHashless(t *testing.T) {
	f := newUpFixture(t)
	f.noView()
	nf := NewFile{Owner: 1, Parent: 5, Name: "big.bin", Size: 5*BlockSize + 1}
	// No FindResumable: nothing would tell another file of this name and
	// size from this one. Folder, name and quota are checked as ever.
	f.files.EXPECT().CheckCreate(gomock.Any(), nf).Return(nil)
	f.store.EXPECT().Begin(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *Upload) (string, error) {
		if !u.Hashless || u.ContentHash != "" {
			t.Errorf("Begin got hashless=%v hash=%q", u.Hashless, u.ContentHash)
		}
		return "ref", nil
	})
	f.uploads.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	s, err := f.uc.Init(f.ctx, nf)
	if err != nil {
		t.Fatal(err)
	}
	if s.Challenge != nil || len(s.Upload.Nonce) != 0 || s.Upload.Layout().Count() != 3 {
		t.Errorf("challenge %v, nonce %x, %d chunks", s.Challenge, s.Upload.Nonce, s.Upload.Layout().Count())
	}
	// Status answers alike: no challenge.
	f.has(s.Upload)
	f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), s.Upload.ID).Return(nil, nil)
	if st, err := f.uc.Status(f.ctx, 1, s.Upload.ID); err != nil || st.Challenge != nil {
		t.Errorf("status: challenge %v, %v", st.Challenge, err)
	}
}

func TestCompleteHashless(t *testing.T) {
	data := randomBytes(31, 3*BlockSize+7)
	want := HashBytes(data)
	t.Run("new content is published under the hash of its digests", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.hashless(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), want).Return(nil, ErrNotFound)
		f.store.EXPECT().Publish(gomock.Any(), gomock.Any(), gomock.Len(2)).DoAndReturn(func(_ context.Context, pu *Upload, _ []*Chunk) error {
			if pu.ContentHash != want || !pu.Hashless {
				t.Errorf("published as hash %q, hashless %v; want %s, true", pu.ContentHash, pu.Hashless, want)
			}
			return nil
		})
		f.blobs.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, b *Blob) error {
			if b.Hash != want || b.Size != u.Size || !b.Verified {
				t.Errorf("blob %+v", b)
			}
			return nil
		})
		n := &FileNode{ID: 9, Name: u.Name, ContentHash: want, Size: u.Size}
		f.files.EXPECT().CreateFile(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, nf NewFile) (*FileNode, error) {
			if nf.ContentHash != want {
				t.Errorf("node made with hash %q, want %s", nf.ContentHash, want)
			}
			return n, nil
		})
		f.uploads.EXPECT().Finish(gomock.Any(), u.OwnerID, u.ID, UploadCompleted, int64(9)).Return(nil)
		f.release.Times(0)
		if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("content stored already: deduplicated at complete", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.hashless(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), want).Return(&Blob{Hash: want, Size: u.Size, Verified: true}, nil)
		f.blobs.EXPECT().Pin(gomock.Any(), want, gomock.Any()).Return(true, nil)
		f.store.EXPECT().Discard(gomock.Any(), u).Return(nil)
		n := f.nodeMade(u, 9)
		if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("a quarantined blob of that hash is replaced by the checked bytes", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.hashless(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), want).Return(&Blob{Hash: want, Size: u.Size, Verified: true, QuarantinedAt: &f.now}, nil)
		f.store.EXPECT().Publish(gomock.Any(), u, gomock.Any()).Return(nil)
		f.blobs.EXPECT().Verify(gomock.Any(), want, u.Size, gomock.Any()).Return(nil)
		f.nodeMade(u, 9)
		if _, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestProveHashless(t *testing.T) {
	f := newUpFixture(t)
	u := f.hashless(randomBytes(32, 100))
	f.has(u)
	// Not a refused proof (nothing was tried): no attempt is counted.
	_, err := f.uc.Prove(f.ctx, 1, u.ID, "00")
	if e := wantReason(t, err, 400, "VALIDATION_FAILED"); e.Metadata["field"] != "upload_id" {
		t.Errorf("metadata %v", e.Metadata)
	}
}

func TestCompleteHashlessChecked(t *testing.T) {
	data := randomBytes(33, 3*BlockSize+7)
	other := append([]byte(nil), data...)
	other[5] ^= 1
	t.Run("the client's hash differs: nothing stored, chunks dropped", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.hashless(data)
		f.completeUpTo(u, data)
		f.uploads.EXPECT().DeleteChunks(gomock.Any(), int64(1), u.ID).Return(nil)
		// No blob lookup, no Publish, no node.
		_, err := f.uc.CompleteChecked(f.ctx, 1, u.ID, HashBytes(other))
		if e := wantReason(t, err, 422, "HASH_MISMATCH"); e.Metadata["content_hash"] != HashBytes(data) {
			t.Errorf("metadata.content_hash = %q, want the hash of what was sent", e.Metadata["content_hash"])
		}
		if u.ContentHash != "" {
			t.Errorf("the refused upload took hash %q", u.ContentHash)
		}
	})
	t.Run("the client's hash matches", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.hashless(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), HashBytes(data)).Return(&Blob{Hash: HashBytes(data), Size: u.Size, Verified: true}, nil)
		f.blobs.EXPECT().Pin(gomock.Any(), HashBytes(data), gomock.Any()).Return(true, nil)
		f.store.EXPECT().Discard(gomock.Any(), u).Return(nil)
		n := f.nodeMade(u, 9)
		if got, err := f.uc.CompleteChecked(f.ctx, 1, u.ID, HashBytes(data)); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
}
