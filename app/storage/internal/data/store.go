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
