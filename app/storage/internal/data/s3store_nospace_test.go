package data

import (
	"errors"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/minio/minio-go/v7"
)

// A full drive behind MinIO reaches the client as INSUFFICIENT_STORAGE
// (retry once space is freed), whichever way MinIO words it; any other
// error passes unchanged.
func TestNoSpaceNamesAFullDrive(t *testing.T) {
	for _, err := range []error{
		minio.ErrorResponse{Code: "XMinioStorageFull", Message: "Storage backend has reached its minimum free drive threshold."},
		minio.ErrorResponse{Code: "InternalError", Message: "We encountered an internal error, please try again.: cause(no space left on device)"},
	} {
		got := noSpace(err) // as the client returns it, unwrapped
		if se := kerrors.FromError(got); se.Code != 507 || se.Reason != "INSUFFICIENT_STORAGE" {
			t.Errorf("noSpace(%v) = %v, want 507 INSUFFICIENT_STORAGE", err, got)
		}
	}
	other := minio.ErrorResponse{Code: "InternalError", Message: "something else"}
	if got := noSpace(other); !errors.Is(got, other) && got.Error() != other.Error() {
		t.Errorf("noSpace(%v) = %v, want it unchanged", other, got)
	}
}
