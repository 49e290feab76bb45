package biz

import (
	"errors"
	"math"
	"strconv"
	"time"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
)

// The reason enums of api/ are the service's error contract; biz uses their
// constructors and nothing else from the generated packages.

// ErrNotFound is what repos return for a row that is absent (or not the owner's).
var ErrNotFound = errors.New("not found")

// ErrDuplicate is what repos return for a unique-key conflict.
var ErrDuplicate = errors.New("duplicate")

func errUserNotFound() error { return v1.ErrorUserNotFound("user not found") }

func errInvalidCredentials() error {
	return v1.ErrorInvalidCredentials("wrong username or password")
}

func errDisabled() error { return v1.ErrorUserDisabled("this account has been disabled") }

func rateLimited(after time.Duration) error {
	secs := int64(math.Ceil(after.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return commonv1.ErrorRateLimited("too many attempts, retry in %d seconds", secs).
		WithMetadata(map[string]string{"retry_after_seconds": strconv.FormatInt(secs, 10)})
}
