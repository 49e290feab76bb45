package apierror

import (
	"strings"
	"sync"

	"github.com/go-kratos/kratos/v2/errors"
	"golang.org/x/text/language"
)

var (
	catalogMu sync.RWMutex
	chinese   = map[string]string{
		"INTERNAL":             "服务器内部错误，请稍后再试",
		"VALIDATION_FAILED":    "参数 {field} 不合法",
		"MALFORMED_REQUEST":    "请求格式错误，无法解析",
		"UNAUTHENTICATED":      "未登录或登录已失效",
		"TOKEN_REVOKED":        "登录凭证已被吊销，请重新登录",
		"FORBIDDEN":            "没有权限执行此操作",
		"RATE_LIMITED":         "请求过于频繁，请 {retry_after_seconds} 秒后再试",
		"NOT_FOUND":            "资源不存在",
		"UNAVAILABLE":          "服务暂时不可用，请稍后重试",
		"INSUFFICIENT_STORAGE": "存储空间已满，请在释放空间后重试",
	}
)

// RegisterChinese adds Chinese messages by reason. A message may name
// metadata keys in braces: "请 {retry_after_seconds} 秒后再试". A key
// "REASON.rule" is the message for an error whose metadata.rule is rule
// ("WEAK_PASSWORD.common"): metadata.detail is English prose written by the
// code, so a Chinese message never splices it in, and says the rule instead.
func RegisterChinese(m map[string]string) {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	for k, v := range m {
		chinese[k] = v
	}
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Chinese})

// WantsChinese reports whether an Accept-Language header prefers Chinese.
func WantsChinese(acceptLanguage string) bool {
	if acceptLanguage == "" {
		return false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return false
	}
	_, idx, _ := matcher.Match(tags...)
	return idx == 1
}

// Localize returns e with its message in the language the header asks for.
// English messages are the ones the code wrote; Chinese ones come from the
// catalog by reason.
func Localize(e *errors.Error, acceptLanguage string) *errors.Error {
	if !WantsChinese(acceptLanguage) {
		return e
	}
	catalogMu.RLock()
	tmpl, ok := chinese[e.Reason+"."+e.Metadata["rule"]]
	if !ok {
		tmpl, ok = chinese[e.Reason]
	}
	catalogMu.RUnlock()
	if !ok {
		return e
	}
	msg := tmpl
	for k, v := range e.Metadata {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	out := errors.New(int(e.Code), e.Reason, msg).WithMetadata(e.Metadata)
	if c := e.Unwrap(); c != nil {
		out = out.WithCause(c)
	}
	return out
}

// HasChinese reports whether reason has a Chinese message (tests check that
// every reason of a service has one).
func HasChinese(reason string) bool {
	catalogMu.RLock()
	defer catalogMu.RUnlock()
	_, ok := chinese[reason]
	return ok
}

// ChineseCatalog returns a copy of every Chinese message by key (a reason,
// or "REASON.rule"), so a test can check each one.
func ChineseCatalog() map[string]string {
	catalogMu.RLock()
	defer catalogMu.RUnlock()
	out := make(map[string]string, len(chinese))
	for k, v := range chinese {
		out[k] = v
	}
	return out
}
