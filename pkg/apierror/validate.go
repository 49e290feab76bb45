package apierror

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/go-kratos/kratos/v2/middleware"

	commonv1 "clouddrive/api/common/v1"
)

// fieldError is what protoc-gen-validate's errors look like.
type fieldError interface {
	Field() string
	Reason() string
	Cause() error
}

// Validator runs the generated Validate() of each request and turns the first
// violation into VALIDATION_FAILED with metadata.field in proto naming.
func Validator() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if v, ok := req.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					return nil, ValidationError(err)
				}
			}
			return next(ctx, req)
		}
	}
}

// ValidationError converts a generated validation error.
func ValidationError(err error) error {
	var path []string
	reason := err.Error()
	for err != nil {
		var fe fieldError
		if !errors.As(err, &fe) {
			break
		}
		path = append(path, snake(fe.Field()))
		reason = fe.Reason()
		err = fe.Cause()
	}
	field := strings.Join(path, ".")
	return Invalid(field, reason)
}

// Invalid is the VALIDATION_FAILED error for one field.
func Invalid(field, reason string) error {
	return commonv1.ErrorValidationFailed("%s: %s", field, reason).
		WithMetadata(map[string]string{"field": field, "detail": reason})
}

// snake turns a generated Go field name ("OldPassword") back into the proto
// field name ("old_password") that clients send.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
