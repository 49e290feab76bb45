package biz

import (
	"errors"

	v1 "clouddrive/api/notify/v1"
)

// Errors the ports return; biz turns them into the service's reasons.
var (
	// ErrUserNotFound: the user service knows no such user.
	ErrUserNotFound = errors.New("user not found")
)

func errNotificationNotFound() error {
	return v1.ErrorNotificationNotFound("no such notification")
}
