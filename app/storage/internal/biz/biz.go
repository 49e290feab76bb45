// Package biz holds the storage service's use cases: the upload protocol
// (chunked, resumable, parallel, instant by proof of possession), downloads
// and zips, and garbage collection; and the ports they need (repos, the blob
// backend, the file service).
package biz

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewUploadUsecase, NewDownloadUsecase, NewGCUsecase, NewScrubUsecase, NewShareGate, NewThumbnailUsecase)

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . UploadRepo,BlobRepo,BlobStore,FileService,URLSigner,ChunkIndex,Thumbnailer,ThumbCache

// Policy is the service's tunables, built from its configuration.
type Policy struct {
	// ChunkSize is a multiple of BlockSize (8 MiB suits S3's 5 MiB minimum part).
	ChunkSize   int64
	MaxFileSize int64
	// UploadTTL is how long an unfinished upload is kept.
	UploadTTL time.Duration
	// ProveAttempts is how many proofs one user may try for one content in
	// a ProofPeriod.
	ProveAttempts int
	// ProofPeriod is how long a challenge stays the same for a user and a
	// content (24 h when 0); ProofKey keys it (an HMAC secret).
	ProofPeriod time.Duration
	ProofKey    []byte
	// URLTTL is the life of a signed download URL.
	URLTTL time.Duration
	// ZipMaxBytes and ZipMaxEntries cap one zip.
	ZipMaxBytes   int64
	ZipMaxEntries int
	// BlobGrace is how long a blob stays unreferenced before it is deleted.
	BlobGrace time.Duration
}

// Clock is time, replaceable in tests.
type Clock func() time.Time

// NewClock is the real clock.
func NewClock() Clock { return func() time.Time { return time.Now().UTC() } }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
