package biz

import (
	"errors"
	"strings"
	"testing"
)

func TestSplitPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
		bad  bool
	}{
		{"/", nil, false},
		{"", nil, false},
		{"/a/b.txt", []string{"a", "b.txt"}, false},
		{"//a//b/", []string{"a", "b"}, false},
		{"/%2e%2e", []string{"%2e%2e"}, false}, // decoded once by HTTP: a plain name
		{"/._photo.jpg", []string{"._photo.jpg"}, false},
		{"/a/../b", nil, true},
		{"/..", nil, true},
		{"/a/./b", nil, true},
		{`/a\..\b`, nil, true},
		{"/a\x00b", nil, true},
		{"/a\nb", nil, true},
		{"/\u202egpj.exe", nil, true},
		{"/   ", nil, true},
		{"/" + strings.Repeat("x", 256), nil, true},
		{"/" + strings.Repeat("x", 255), []string{strings.Repeat("x", 255)}, false},
		{"/\xff", nil, true},
	} {
		got, err := SplitPath(tc.path)
		var bad *BadName
		if tc.bad {
			if !errors.As(err, &bad) {
				t.Errorf("SplitPath(%q) = %v, %v; want a BadName", tc.path, got, err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("SplitPath(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}
