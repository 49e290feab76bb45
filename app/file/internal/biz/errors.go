package biz

import (
	"errors"

	v1 "clouddrive/api/file/v1"
)

// Errors repos return; biz turns them into the service's reasons.
var (
	ErrNotFound      = errors.New("not found")
	ErrDuplicate     = errors.New("duplicate name")
	ErrQuotaExceeded = errors.New("quota exceeded")
)

func errNodeNotFound() error { return v1.ErrorNodeNotFound("no such file or folder") }
func errParentNotFound() error {
	return v1.ErrorParentNotFound("the destination folder does not exist")
}

func errNameConflict(name string) error {
	return v1.ErrorNameConflict("%q already exists in this folder", name).
		WithMetadata(map[string]string{"name": name})
}

func errQuota(used, limit, need int64) error {
	return v1.ErrorQuotaExceeded("not enough space: %d of %d bytes used, %d more needed", used, limit, need)
}
