package biz

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes is the longest name the file service takes.
const MaxNameBytes = 255

// BadName is a path segment the file service would refuse (or one that
// could mean something else to a client: a backslash).
type BadName struct {
	Name string
	Why  string
}

func (b *BadName) Error() string { return fmt.Sprintf("invalid name %q: %s", b.Name, b.Why) }

// ValidateName applies the file service's name rules (one segment, valid
// UTF-8, 1 to 255 bytes, no "/", no control or text-direction characters,
// not "." or "..", not only spaces) before any call is made, and refuses a
// backslash too: Windows clients read it as a separator, so a stored
// "..\x" could climb out of a folder on their side.
func ValidateName(name string) error {
	why := ""
	switch {
	case name == "":
		why = "the name is empty"
	case len(name) > MaxNameBytes:
		why = fmt.Sprintf("the name is longer than %d bytes", MaxNameBytes)
	case !utf8.ValidString(name):
		why = "the name is not valid UTF-8"
	case name == "." || name == "..":
		why = `"." and ".." are not names`
	case strings.ContainsAny(name, `/\`):
		why = `the name contains "/" or "\"`
	case strings.TrimFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsGraphic(r) }) == "":
		why = "the name is only spaces or invisible characters"
	default:
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
				why = "the name contains a control character"
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return &BadName{Name: name, Why: why}
}

// SplitPath turns a slash-separated path inside the user's root into its
// names, each checked. "/" and "" are the root (no names).
func SplitPath(p string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if err := ValidateName(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// sameName compares names as the file service does: case-insensitively.
func sameName(a, b string) bool { return strings.ToLower(a) == strings.ToLower(b) }
