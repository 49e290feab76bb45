package biz

import (
	"errors"
	"fmt"
	"time"

	v1 "clouddrive/api/storage/v1"
)

// Errors repos and backends return; biz turns them into reasons.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
	// ErrSealed: the upload takes no chunk (completing, finished, expired).
	ErrSealed = errors.New("upload sealed")
	// ErrBusy: another writer holds the chunk.
	ErrBusy = errors.New("busy")
)

func errUploadNotFound() error { return v1.ErrorUploadNotFound("no such upload") }
func errFileNotFound() error   { return v1.ErrorFileNotFound("no such file") }

// errProofRejected is the one answer to a wrong proof and to absent content.
func errProofRejected() error {
	return v1.ErrorProofRejected("instant upload refused: send the content")
}

// LostChunksError is a backend's finding, at Publish, that some chunks no
// longer hold the bytes their digests describe (a crash lost writes not yet
// on disk): they are forgotten and must be sent again.
type LostChunksError struct{ Indexes []int64 }

func (e *LostChunksError) Error() string { return fmt.Sprintf("%d chunks were lost", len(e.Indexes)) }

// errChunkBusy asks the client to retry shortly (503 with a delay): the
// other writer ends, or is found dead, within staleWrite.
func errChunkBusy(format string, args ...any) error {
	return v1.ErrorChunkBusy(format, args...).WithMetadata(map[string]string{
		"retry_after_seconds": fmt.Sprint(int(heartbeatEvery / time.Second))})
}

func errCompleting() error {
	return v1.ErrorUploadCompleting("this upload is being completed; its chunks can no longer change")
}
