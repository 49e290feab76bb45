package reasons

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"

	// Each service registers its Chinese messages when its package loads.
	_ "clouddrive/app/file"
	_ "clouddrive/app/notify"
	_ "clouddrive/app/share"
	_ "clouddrive/app/storage"
	_ "clouddrive/app/user"
	"clouddrive/pkg/apierror"
)

var (
	enumValue   = regexp.MustCompile(`(?m)^\s*([A-Z][A-Z0-9_]*)\s*=\s*\d+`)
	placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)
	// Two Latin words in a row is English prose left in a Chinese message;
	// a lone product or protocol name ("GitHub", "Content-Digest") is not.
	latinSentence = regexp.MustCompile(`[A-Za-z]{2,}[\s,;:]+[A-Za-z]{2,}`)
)

// reasonsInProtos reads every reason enum the services declare, so a reason
// added to a proto later is checked without touching this test.
func reasonsInProtos(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../api/*/v1/error_reason.proto")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error_reason.proto found: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := enumValue.FindAllStringSubmatch(string(b), -1)
		if len(m) == 0 {
			t.Fatalf("%s declares no reasons", f)
		}
		for _, v := range m {
			out[v[1]] = f
		}
	}
	return out
}

// localized is the Chinese message a client gets for reason with metadata
// filling every placeholder (values as a Chinese user would type them).
func localized(reason, tmpl, rule string) string {
	md := map[string]string{}
	for _, p := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		md[p[1]] = "文件夹 1"
	}
	if rule != "" {
		md["rule"] = rule
	}
	// The English message and detail are what the code writes; the Chinese
	// message must not depend on them.
	md["detail"] = "this is English detail"
	e := errors.New(400, reason, "an English message").WithMetadata(md)
	return apierror.Localize(e, "zh-CN,zh;q=0.9").Message
}

func checkChinese(t *testing.T, key, msg string) {
	t.Helper()
	if msg == "" {
		t.Errorf("%s: empty Chinese message", key)
		return
	}
	if s := latinSentence.FindString(msg); s != "" {
		t.Errorf("%s: Chinese message %q still holds Latin prose %q", key, msg, s)
	}
	if strings.ContainsAny(msg, "{}") {
		t.Errorf("%s: Chinese message %q keeps an unfilled placeholder", key, msg)
	}
}

func TestEveryReasonHasACompleteChineseMessage(t *testing.T) {
	reasons := reasonsInProtos(t)
	catalog := apierror.ChineseCatalog()
	names := make([]string, 0, len(reasons))
	for r := range reasons {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		tmpl, ok := catalog[r]
		if !ok {
			t.Errorf("%s (%s): no Chinese message", r, reasons[r])
			continue
		}
		checkChinese(t, r, localized(r, tmpl, ""))
	}
}

func TestEveryRuleMessageBelongsToAReasonAndIsChinese(t *testing.T) {
	reasons := reasonsInProtos(t)
	rules := 0
	for key, tmpl := range apierror.ChineseCatalog() {
		reason, rule, ok := strings.Cut(key, ".")
		if !ok {
			continue
		}
		rules++
		if _, known := reasons[reason]; !known {
			t.Errorf("%s: a message for a reason no proto declares", key)
			continue
		}
		got := localized(reason, tmpl, rule)
		if got == localized(reason, tmpl, "") {
			t.Errorf("%s: the rule's message is not the one a client gets", key)
		}
		checkChinese(t, key, got)
	}
	if rules == 0 {
		t.Fatal("no rule messages registered (WEAK_PASSWORD.common and others)")
	}
}

func TestLatinSentenceCheckCatchesHalfEnglishMessages(t *testing.T) {
	for msg, want := range map[string]bool{
		"密码强度不足：this password is too common": true,
		"参数 name 不合法":                        false,
		"分片内容与 Content-Digest 不符，已丢弃":        false,
		"未启用 GitHub 登录":                      false,
	} {
		if got := latinSentence.MatchString(msg); got != want {
			t.Errorf("latinSentence(%q) = %v, want %v", msg, got, want)
		}
	}
}
