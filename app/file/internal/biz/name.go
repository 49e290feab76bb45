package biz

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	v1 "clouddrive/api/file/v1"
)

// MaxNameBytes is the longest name a node may have.
const MaxNameBytes = 255

// ValidateName checks that name is one path segment: valid UTF-8, 1 to 255
// bytes, no '/', no NUL or other control characters, not "." or "..", not
// only spaces. A name that passes can never climb out of its folder.
func ValidateName(name string) error {
	why, rule := "", ""
	switch {
	case name == "":
		why, rule = "the name is empty", "empty"
	case len(name) > MaxNameBytes:
		why, rule = fmt.Sprintf("the name is longer than %d bytes", MaxNameBytes), "too_long"
	case !utf8.ValidString(name):
		why, rule = "the name is not valid UTF-8", "not_utf8"
	case name == "." || name == "..":
		why, rule = `"." and ".." are not names`, "dots"
	case strings.ContainsRune(name, '/'):
		why, rule = `the name contains "/"`, "slash"
	case strings.TrimFunc(name, invisible) == "":
		why, rule = "the name is only spaces or invisible characters", "blank"
	default:
		for _, r := range name {
			if unicode.IsControl(r) {
				why, rule = "the name contains a control character", "control"
				break
			}
			if bidiControl(r) {
				// "\u202egpj.exe" shows as "exe.jpg": a spoofing trick.
				why, rule = "the name contains a text-direction control character", "bidi"
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return v1.ErrorInvalidName("invalid name: %s", why).WithMetadata(map[string]string{"field": "name", "rule": rule, "detail": why})
}

// FoldName is the key names are compared by: names differing only in case
// are the same name, as in Windows, macOS and Dropbox.
func FoldName(name string) string { return strings.ToLower(name) }

// splitExt splits "report.pdf" into "report" and ".pdf"; folders and names
// like ".bashrc" keep everything in the base.
func splitExt(name string, folder bool) (string, string) {
	if folder {
		return name, ""
	}
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

// numbered is name with " (n)" before its extension, cut to fit 255 bytes.
func numbered(name string, folder bool, n int) string {
	base, ext := splitExt(name, folder)
	suffix := fmt.Sprintf(" (%d)", n)
	if over := len(base) + len(suffix) + len(ext) - MaxNameBytes; over > 0 {
		if over >= len(base) {
			base, ext = "", ""
		} else {
			base = strings.ToValidUTF8(base[:len(base)-over], "")
		}
	}
	return base + suffix + ext
}

// freeName picks the smallest "name (n)" not among taken (folded names).
func freeName(name string, folder bool, taken map[string]bool) string {
	for n := 1; ; n++ {
		c := numbered(name, folder, n)
		if !taken[FoldName(c)] {
			return c
		}
	}
}

func invisible(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }

func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
