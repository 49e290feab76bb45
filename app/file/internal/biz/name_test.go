package biz

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/errors"

	v1 "clouddrive/api/file/v1"
)

func TestValidateName(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty", "", false},
		{"255 bytes", strings.Repeat("a", 255), true},
		{"256 bytes", strings.Repeat("a", 256), false},
		{"255 bytes of 3-byte runes", strings.Repeat("报", 85), true},
		{"256 bytes of 2-byte runes", strings.Repeat("é", 128), false},
		{"invalid UTF-8", "a\xffb", false},
		{"truncated rune", "报"[:2], false},
		{"overlong encoding of '/'", "a\xc0\xafb", false},
		{"surrogate half", "\xed\xa0\x80", false},
		{"dot", ".", false},
		{"dot dot", "..", false},
		{"slash inside", "a/b", false},
		{"slash alone", "/", false},
		{"leading slash", "/etc", false},
		{"trailing slash", "a/", false},
		{"traversal", "../etc/passwd", false},
		{"NUL", "a\x00b", false},
		{"NUL alone", "\x00", false},
		{"newline", "a\nb", false},
		{"newline alone", "\n", false},
		{"carriage return", "a\rb", false},
		{"tab", "a\tb", false},
		{"escape", "a\x1bb", false},
		{"DEL", "a\x7fb", false},
		{"DEL alone", "\x7f", false},
		{"C1 control U+0085", "a\u0085b", false},
		{"C1 control U+009B", "a\u009bb", false},
		{"one space", " ", false},
		{"only spaces", "   ", false},
		{"only no-break spaces", "\u00a0\u3000", false},

		{"plain", "a", true},
		{"chinese with extension", "报告.pdf", true},
		{"accents", "résumé", true},
		{"emoji", "🎉 party", true},
		{"spaces inside", "my report final.docx", true},
		{"leading and trailing spaces", " a ", true},
		{"leading dots", "..a", true},
		{"trailing dots", "a..", true},
		{"dots inside", "a..b", true},
		{"three dots", "...", true},
		{"dot file", ".bashrc", true},
		{"backslash traversal (not a separator here)", `..\..\x`, true},
		{"percent-encoded dots", "%2e%2e", true},
		{"percent-encoded slash", "a%2fb", true},
		{"number suffix", "report (1).pdf", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.in)
			if tc.ok {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateName(%q) = nil, want INVALID_NAME", tc.in)
			}
			if !v1.IsInvalidName(err) {
				t.Fatalf("ValidateName(%q) = %v, want INVALID_NAME", tc.in, err)
			}
			e := errors.FromError(err)
			if e.Code != 400 {
				t.Errorf("code %d, want 400", e.Code)
			}
			if e.Metadata["field"] != "name" || e.Metadata["detail"] == "" {
				t.Errorf("metadata %v: want field=name and a detail", e.Metadata)
			}
			if !strings.Contains(e.Message, e.Metadata["detail"]) {
				t.Errorf("message %q does not carry the detail %q", e.Message, e.Metadata["detail"])
			}
		})
	}
}

func TestSplitExt(t *testing.T) {
	cases := []struct {
		in         string
		folder     bool
		base, ext_ string
	}{
		{"report.pdf", false, "report", ".pdf"},
		{"archive.tar.gz", false, "archive.tar", ".gz"},
		{".bashrc", false, ".bashrc", ""},
		{"noext", false, "noext", ""},
		{"trailing.", false, "trailing", "."},
		{"report.pdf", true, "report.pdf", ""},
	}
	for _, tc := range cases {
		b, e := splitExt(tc.in, tc.folder)
		if b != tc.base || e != tc.ext_ {
			t.Errorf("splitExt(%q, %v) = %q, %q; want %q, %q", tc.in, tc.folder, b, e, tc.base, tc.ext_)
		}
	}
}

func TestNumbered(t *testing.T) {
	cases := []struct {
		in     string
		folder bool
		n      int
		want   string
	}{
		{"a", true, 1, "a (1)"},
		{"a", false, 1, "a (1)"},
		{"report.pdf", false, 1, "report (1).pdf"},
		{"report.pdf", false, 12, "report (12).pdf"},
		{"report.pdf", true, 1, "report.pdf (1)"},
		{".bashrc", false, 1, ".bashrc (1)"},
		{"archive.tar.gz", false, 2, "archive.tar (2).gz"},
		{"报告.pdf", false, 1, "报告 (1).pdf"},
		{"..a", false, 1, ". (1).a"},
	}
	for _, tc := range cases {
		if got := numbered(tc.in, tc.folder, tc.n); got != tc.want {
			t.Errorf("numbered(%q, %v, %d) = %q, want %q", tc.in, tc.folder, tc.n, got, tc.want)
		}
	}
}

// A name at the limit gets its base cut so the numbered name still fits,
// and a cut inside a multi-byte rune drops the partial rune.
func TestNumberedLongNames(t *testing.T) {
	for _, r := range []string{"a", "é", "报", "🎉"} {
		for pad := 0; pad < 4; pad++ {
			for _, ext := range []string{"", ".pdf"} {
				for _, folder := range []bool{false, true} {
					name := strings.Repeat("x", pad)
					for len(name)+len(r)+len(ext) <= MaxNameBytes {
						name += r
					}
					name += ext // 255 bytes, or up to len(r)-1 fewer
					if err := ValidateName(name); err != nil {
						t.Fatalf("test setup: %q (%d bytes) is not valid: %v", name, len(name), err)
					}
					for _, n := range []int{1, 9, 10, 1000} {
						got := numbered(name, folder, n)
						if len(got) > MaxNameBytes {
							t.Errorf("numbered(%d-byte name, %v, %d) is %d bytes", len(name), folder, n, len(got))
						}
						if !utf8.ValidString(got) {
							t.Errorf("numbered(%q, %v, %d) = %q: not valid UTF-8", name, folder, n, got)
						}
						if err := ValidateName(got); err != nil {
							t.Errorf("numbered(%q, %v, %d) = %q: %v", name, folder, n, got, err)
						}
						b, e := splitExt(name, folder)
						suffix := " (" + strconv.Itoa(n) + ")" + e
						if !strings.HasSuffix(got, suffix) {
							t.Errorf("numbered(%q, %v, %d) = %q, want the suffix %q", name, folder, n, got, suffix)
						}
						kept := strings.TrimSuffix(got, suffix)
						if !strings.HasPrefix(b, kept) {
							t.Errorf("numbered(%q, %v, %d) = %q: %q is not a prefix of the base", name, folder, n, got, kept)
						}
						// Cut no more than needed: at most one partial rune is dropped.
						if len(got) < MaxNameBytes-(utf8.UTFMax-1) {
							t.Errorf("numbered(%d-byte name, %v, %d) is only %d bytes: cut more than needed", len(name), folder, n, len(got))
						}
					}
				}
			}
		}
	}
}

// An extension so long that no base is left: the result is still a valid name.
func TestNumberedHugeExtension(t *testing.T) {
	name := "a." + strings.Repeat("x", 253)
	got := numbered(name, false, 1)
	if len(got) > MaxNameBytes || ValidateName(got) != nil {
		t.Fatalf("numbered(%q) = %q (%d bytes): %v", name, got, len(got), ValidateName(got))
	}
}

func TestFreeName(t *testing.T) {
	taken := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[FoldName(n)] = true
		}
		return m
	}
	cases := []struct {
		name   string
		folder bool
		taken  map[string]bool
		want   string
	}{
		{"a", true, taken("a"), "a (1)"},
		{"a", true, taken("a", "a (1)"), "a (2)"},
		{"a", true, taken("a", "A (1)", "a (2)"), "a (3)"},
		{"a", true, taken("a", "a (2)"), "a (1)"},
		{"report.pdf", false, taken("report.pdf"), "report (1).pdf"},
		{"report.pdf", false, taken("report.pdf", "REPORT (1).PDF"), "report (2).pdf"},
		{".bashrc", false, taken(".bashrc"), ".bashrc (1)"},
		{"报告.pdf", false, taken("报告.pdf", "报告 (1).pdf"), "报告 (2).pdf"},
	}
	for _, tc := range cases {
		if got := freeName(tc.name, tc.folder, tc.taken); got != tc.want {
			t.Errorf("freeName(%q, %v, %v) = %q, want %q", tc.name, tc.folder, tc.taken, got, tc.want)
		}
	}

	long := strings.Repeat("é", 125) + "x.pdf" // 255 bytes
	got := freeName(long, false, taken(long))
	if len(got) > MaxNameBytes || ValidateName(got) != nil || !strings.HasSuffix(got, " (1).pdf") {
		t.Errorf("freeName(255-byte name) = %q (%d bytes): %v", got, len(got), ValidateName(got))
	}
}

// FuzzValidateName checks the name rules as properties: whatever passes is
// one safe path segment, and numbering a valid name keeps it valid.
// Seeds are in testdata/fuzz/FuzzValidateName; run with
//
//	go test ./app/file/internal/biz -run '^$' -fuzz FuzzValidateName -fuzztime 30s
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "报告.pdf", "résumé", "..a", "a..b", ".bashrc", "report.pdf",
		".", "..", "/", "a/b", "", " ", "a\x00b", "\n", "\x7f", "\xff", strings.Repeat("é", 128)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateName(s)
		if err != nil {
			if !v1.IsInvalidName(err) {
				t.Fatalf("ValidateName(%q) = %v: not INVALID_NAME", s, err)
			}
			if errors.FromError(err).Metadata["detail"] == "" {
				t.Fatalf("ValidateName(%q) = %v: no detail", s, err)
			}
			return
		}
		checkSafeName(t, s)
		if FoldName(s) == "" {
			t.Fatalf("FoldName(%q) is empty", s)
		}
		for _, folder := range []bool{false, true} {
			for _, n := range []int{1, 2, 10, 12345} {
				c := numbered(s, folder, n)
				if err := ValidateName(c); err != nil {
					t.Fatalf("numbered(%q, %v, %d) = %q: %v", s, folder, n, c, err)
				}
				checkSafeName(t, c)
				if c == s {
					t.Fatalf("numbered(%q, %v, %d) is the name itself", s, folder, n)
				}
			}
		}
	})
}

// checkSafeName checks a name that passed ValidateName without using it.
func checkSafeName(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%q passed but is not valid UTF-8", s)
	}
	if len(s) < 1 || len(s) > 255 {
		t.Fatalf("%q passed with %d bytes", s, len(s))
	}
	if s == "." || s == ".." {
		t.Fatalf("%q passed", s)
	}
	if strings.TrimSpace(s) == "" {
		t.Fatalf("%q passed but is only spaces", s)
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b == '/' || b == 0 || b < 0x20 || b == 0x7f {
			t.Fatalf("%q passed but holds byte %#x at %d", s, b, i)
		}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			t.Fatalf("%q passed but holds the control character %U", s, r)
		}
	}
}
