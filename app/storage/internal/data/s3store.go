package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
)

// S3Store keeps blobs in an S3 bucket (MinIO, AWS, any S3 API). An upload
// is a multipart upload and each chunk is one of its parts (part number =
// chunk index + 1), so chunks go up in any order and in parallel, and a
// part sent again replaces the previous one.
//
// Where the multipart upload lives: it is started at the blob's final key,
// BlobKey(content hash), not at a staging key. Nothing is visible at a key
// until CompleteMultipartUpload, and biz calls Publish only after it has
// checked the content hash from the digests of every chunk; Publish then
// completes with the ETags biz recorded for those chunks, and S3 refuses
// to complete when a part's ETag is not the one named (InvalidPart), so
// the object made is exactly the bytes that were checked. An upload whose
// hash does not match is never completed (biz drops its chunk records and
// the parts are sent again or aborted), so it cannot land at the key. Two
// users uploading the same content at once may both complete at the key:
// both write the same bytes, and biz records the blob once. Completing
// through a staging key would cost a server-side copy of the whole file
// (CopyObject, or ComposeObject past 5 GiB) for no gain in safety.
type S3Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
}

var _ biz.BlobStore = (*S3Store)(nil)

// NewS3Store connects to the bucket, creating it when it is missing.
// The endpoint is host[:port]; an http:// or https:// prefix is accepted
// and then decides TLS over use_ssl.
func NewS3Store(c *conf.Backend_S3) (*S3Store, error) {
	if c.GetEndpoint() == "" || c.GetBucket() == "" {
		return nil, errors.New("s3 store: endpoint and bucket are required")
	}
	endpoint, secure := c.GetEndpoint(), c.GetUseSsl()
	switch {
	case strings.HasPrefix(endpoint, "http://"):
		endpoint, secure = strings.TrimPrefix(endpoint, "http://"), false
	case strings.HasPrefix(endpoint, "https://"):
		endpoint, secure = strings.TrimPrefix(endpoint, "https://"), true
	}
	endpoint = strings.TrimSuffix(endpoint, "/")
	client, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.GetAccessKey(), c.GetSecretKey(), ""),
		Secure: secure,
		Region: c.GetRegion(),
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	s := &S3Store{client: client, core: minio.Core{Client: client}, bucket: c.GetBucket()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.ensureBucket(ctx, c.GetRegion()); err != nil {
		return nil, fmt.Errorf("s3 store: bucket %q at %s: %w", s.bucket, endpoint, err)
	}
	return s, nil
}

func (s *S3Store) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil || ok {
		return err
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	switch errCode(err) {
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists": // made meanwhile by another instance
		return nil
	}
	return err
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return minio.ToErrorResponse(err).Code
}

// noSpace turns the server's "no room left" into the reason a client can
// act on (retry once space is freed); other errors pass unchanged.
func noSpace(err error) error {
	switch errCode(err) {
	case "XMinioStorageFull", "StorageFull", "XMinioDiskFull":
		return commonv1.ErrorInsufficientStorage("the blob store has no room left for this; retry once space is freed")
	case "InternalError":
		// MinIO answers a write its drive refused for space as an internal
		// error with the cause in the message.
		if strings.Contains(minio.ToErrorResponse(err).Message, "no space left on device") ||
			strings.Contains(err.Error(), "no space left on device") {
			return commonv1.ErrorInsufficientStorage("the blob store has no room left for this; retry once space is freed")
		}
	}
	return err
}

// Begin implements biz.BlobStore: it starts the multipart upload. An empty
// file has no part to send (and a multipart upload needs one), so it gets
// no multipart upload: Publish writes an empty object.
func (s *S3Store) Begin(ctx context.Context, u *biz.Upload) (string, error) {
	if u.Size == 0 {
		return "", nil
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, uploadKey(u),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return "", fmt.Errorf("s3 store: starting the upload: %w", noSpace(err))
	}
	return id, nil
}

// WriteChunk implements biz.BlobStore: the chunk is part index+1 of the
// multipart upload. The body streams to the server (a signed chunked
// payload over HTTP, an unsigned one over TLS): nothing holds the whole
// chunk in memory. It returns the part's ETag.
func (s *S3Store) WriteChunk(ctx context.Context, u *biz.Upload, index int64, r io.Reader, n int64) (string, error) {
	if u.BackendRef == "" {
		return "", fmt.Errorf("s3 store: upload %s has no multipart upload", u.ID)
	}
	part, err := s.core.PutObjectPart(ctx, s.bucket, uploadKey(u), u.BackendRef, int(index)+1,
		io.LimitReader(r, n), n, minio.PutObjectPartOptions{})
	if errCode(err) == "NoSuchUpload" {
		return "", biz.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("s3 store: chunk %d: %w", index, noSpace(err))
	}
	return part.ETag, nil
}

// Publish implements biz.BlobStore: it completes the multipart upload at
// the blob's key with the parts biz checked, in order. It may be called
// again after a completion whose answer was lost: the upload is gone then,
// and the object already at the key (of the right size) is the blob.
func (s *S3Store) Publish(ctx context.Context, u *biz.Upload, chunks []*biz.Chunk) error {
	key := biz.BlobKey(u.ContentHash)
	if u.Size == 0 {
		_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(nil), 0,
			minio.PutObjectOptions{ContentType: "application/octet-stream"})
		return err
	}
	sorted := append([]*biz.Chunk(nil), chunks...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Index < sorted[j].Index })
	parts := make([]minio.CompletePart, len(sorted))
	for i, c := range sorted {
		parts[i] = minio.CompletePart{PartNumber: int(c.Index) + 1, ETag: c.ETag}
	}
	if u.Hashless {
		return s.publishStaged(ctx, u, parts)
	}
	_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, u.BackendRef, parts,
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	// A completion that reached the server before its process died has
	// made the object and consumed the upload: the retry finds the upload
	// gone (NoSuchUpload) or, while the server is still finishing it, its
	// parts gone (InvalidPart). The object at the key, of the right size,
	// is then this upload's checked bytes (nothing else completes there).
	if c := errCode(err); c == "NoSuchUpload" || c == "InvalidPart" {
		if s.sized(ctx, key, u.Size) {
			return nil
		}
		return fmt.Errorf("s3 store: publishing upload %s: %w", u.ID, biz.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("s3 store: publishing upload %s: %w", u.ID, noSpace(err))
	}
	return nil
}

// publishStaged publishes a hashless upload: its checked parts are merged
// at its staging key, copied server-side to the blob's key (a copy is the
// price of not naming the hash at init) and the staging object removed.
// A retry after a try that died finds the staging object (merged, not yet
// copied) or the blob (copied).
func (s *S3Store) publishStaged(ctx context.Context, u *biz.Upload, parts []minio.CompletePart) error {
	staging, key := stagingKey(u), biz.BlobKey(u.ContentHash)
	_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, staging, u.BackendRef, parts,
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if c := errCode(err); c == "NoSuchUpload" || c == "InvalidPart" {
		switch {
		case s.sized(ctx, staging, u.Size):
		case s.sized(ctx, key, u.Size):
			return nil
		default:
			return fmt.Errorf("s3 store: publishing upload %s: %w", u.ID, biz.ErrNotFound)
		}
	} else if err != nil {
		return fmt.Errorf("s3 store: publishing upload %s: %w", u.ID, noSpace(err))
	}
	// ComposeObject copies in one request up to 5 GiB and by ranged part
	// copies beyond.
	_, err = s.client.ComposeObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: key},
		minio.CopySrcOptions{Bucket: s.bucket, Object: staging})
	if err != nil {
		return fmt.Errorf("s3 store: publishing upload %s: %w", u.ID, noSpace(err))
	}
	return s.remove(ctx, staging)
}

// sized tells whether the object at key exists with size bytes.
func (s *S3Store) sized(ctx context.Context, key string, size int64) bool {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	return err == nil && info.Size == size
}

// Discard implements biz.BlobStore: it aborts the multipart upload, which
// drops its parts. An upload gone already is no error.
func (s *S3Store) Discard(ctx context.Context, u *biz.Upload) error {
	if u.BackendRef == "" {
		return nil
	}
	err := s.core.AbortMultipartUpload(ctx, s.bucket, uploadKey(u), u.BackendRef)
	if err != nil && errCode(err) != "NoSuchUpload" {
		return fmt.Errorf("s3 store: aborting upload %s: %w", u.ID, err)
	}
	if u.Hashless { // merged at its staging key by a publish that stopped there
		return s.remove(ctx, stagingKey(u))
	}
	return nil
}

// Open implements biz.BlobStore. A *minio.Object reads lazily and serves
// Seek with ranged GETs; it is asked for its size first, so that a missing
// blob is reported here, as biz.ErrNotFound, and not at the first Read.
func (s *S3Store) Open(ctx context.Context, hash string, _ int64) (io.ReadSeekCloser, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, biz.BlobKey(hash), minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if isNotFound(err) {
			return nil, biz.ErrNotFound
		}
		return nil, err
	}
	return obj, nil
}

func isNotFound(err error) bool {
	return errCode(err) == "NoSuchKey"
}

// Delete implements biz.BlobStore; a missing blob is no error.
func (s *S3Store) Delete(ctx context.Context, hash string) error {
	return s.remove(ctx, biz.BlobKey(hash))
}

func (s *S3Store) remove(ctx context.Context, key string) error {
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}
