package data

import (
	"fmt"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
)

// NewBlobStore opens the backend the configuration names.
func NewBlobStore(c *conf.Backend) (biz.BlobStore, error) {
	switch c.GetKind() {
	case "", "local":
		return NewLocalStore(c.GetLocal().GetRoot())
	case "s3":
		return NewS3Store(c.GetS3())
	case "cos":
		return NewCOSStore(COSConfig{BucketURL: c.GetCos().GetBucketUrl(),
			SecretID: c.GetCos().GetSecretId(), SecretKey: c.GetCos().GetSecretKey()})
	}
	return nil, fmt.Errorf("storage backend %q: want local, s3 or cos", c.GetKind())
}

// stagingKey is where an object store keeps a hashless upload's parts: its
// blob key is not known before complete, so the parts are merged here and
// the object copied to the blob's key once its hash is checked.
func stagingKey(u *biz.Upload) string { return "uploads/" + u.ID }

// uploadKey is the key an upload's multipart upload lives at: the blob's
// own key when the client named the hash at init (no copy at complete),
// the staging key otherwise.
func uploadKey(u *biz.Upload) string {
	if u.Hashless {
		return stagingKey(u)
	}
	return biz.BlobKey(u.ContentHash)
}
