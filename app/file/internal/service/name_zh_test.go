package service

import (
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/apierror"
)

// Every rule a name can break has its own Chinese message, so no English
// detail is spliced into a Chinese one.
func TestEveryInvalidNameRuleIsSaidInChinese(t *testing.T) {
	for _, name := range []string{
		"", strings.Repeat("x", 256), "\xff\xfe", "..", "a/b", "   ", "a\x01b", "\u202egpj.exe",
	} {
		se := errors.FromError(biz.ValidateName(name))
		if se == nil || se.Reason != "INVALID_NAME" {
			t.Fatalf("ValidateName(%q) = %v, want INVALID_NAME", name, se)
		}
		key := "INVALID_NAME." + se.Metadata["rule"]
		want, ok := apierror.ChineseCatalog()[key]
		if !ok {
			t.Errorf("%q breaks rule %q, which has no Chinese message", name, se.Metadata["rule"])
			continue
		}
		if got := apierror.Localize(se, "zh").Message; got != want {
			t.Errorf("%q: Chinese message %q, want %q", name, got, want)
		}
	}
}
