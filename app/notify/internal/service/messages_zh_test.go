package service

import (
	"testing"

	v1 "clouddrive/api/notify/v1"
	"clouddrive/pkg/apierror"
)

func TestEveryReasonHasAChineseMessage(t *testing.T) {
	for _, reason := range v1.ErrorReason_name {
		if !apierror.HasChinese(reason) {
			t.Errorf("no Chinese message for %s", reason)
		}
	}
}
