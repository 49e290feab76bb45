package service

import (
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"

	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apierror"
)

// Every rule the password check can break has its own Chinese message, so a
// Chinese user is never shown "密码强度不足：this password is too common".
func TestEveryWeakPasswordRuleIsSaidInChinese(t *testing.T) {
	for _, tc := range []struct{ password, username string }{
		{"short1", "alice"},
		{strings.Repeat("a1", 40), "alice"},
		{"abcdefghij", "alice"},
		{"password123", "alice"},
		{"Alice-2024x", "alice"},
	} {
		err := biz.CheckPasswordStrength("password", tc.password, tc.username)
		se := errors.FromError(err)
		if se == nil || se.Reason != "WEAK_PASSWORD" {
			t.Fatalf("CheckPasswordStrength(%q) = %v, want WEAK_PASSWORD", tc.password, err)
		}
		key := "WEAK_PASSWORD." + se.Metadata["rule"]
		want, ok := apierror.ChineseCatalog()[key]
		if !ok {
			t.Errorf("%q breaks rule %q, which has no Chinese message", tc.password, se.Metadata["rule"])
			continue
		}
		if got := apierror.Localize(se, "zh-CN").Message; got != want {
			t.Errorf("%q: Chinese message %q, want %q", tc.password, got, want)
		}
	}
}
