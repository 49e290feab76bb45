package biz

import (
	"math"
	"strconv"
	"time"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/share/v1"
)

// The reason enums of api/ are the service's error contract; biz uses their
// constructors and nothing else from the generated packages.

func errShareNotFound() error { return v1.ErrorShareNotFound("no such share") }
func errRevoked() error       { return v1.ErrorShareRevoked("this share has been cancelled by its owner") }
func errExpired() error       { return v1.ErrorShareExpired("this share has expired") }
func errLimitReached() error {
	return v1.ErrorShareLimitReached("this share has reached its download limit")
}
func errGone() error { return v1.ErrorShareGone("the shared item no longer exists") }
func errCodeWrong() error {
	return v1.ErrorCodeWrong("wrong extraction code")
}

// errCodeRequired is CODE_WRONG for an empty code: the page asks for it.
func errCodeRequired() error {
	return v1.ErrorCodeWrong("this share needs its extraction code").
		WithMetadata(map[string]string{"code_required": "true"})
}
func errTokenInvalid() error {
	return v1.ErrorShareTokenInvalid("the share access token is missing, invalid or expired: open the share again")
}
func errNotInShare() error { return v1.ErrorNotInShare("no such item in this share") }
func errRecipientNotFound(name string) error {
	return v1.ErrorRecipientNotFound("no user named %q", name).WithMetadata(map[string]string{"recipient": name})
}

// errNodeNotFound is the file service's own answer for a node that is not
// the caller's, or is in the trash.
func errNodeNotFound() error { return filev1.ErrorNodeNotFound("no such file or folder") }

func rateLimited(after time.Duration) error {
	secs := int64(math.Ceil(after.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return commonv1.ErrorRateLimited("too many attempts, retry in %d seconds", secs).
		WithMetadata(map[string]string{"retry_after_seconds": strconv.FormatInt(secs, 10)})
}
