package service

import (
	"net/http/httptest"
	"testing"
)

// Which requests are a download (counted against a share's limit) and
// which continue one (checked only).
func TestStartsDownload(t *testing.T) {
	const etag = `"abc"`
	tests := []struct {
		name    string
		method  string
		rng     string
		ifRange string
		want    bool
	}{
		{"GET without Range", "GET", "", "", true},
		{"HEAD serves no bytes", "HEAD", "", "", false},
		{"from byte 0", "GET", "bytes=0-", "", true},
		{"the first kilobyte", "GET", "bytes=0-1023", "", true},
		{"a resume", "GET", "bytes=1024-", "", false},
		{"a middle part", "GET", "bytes=1024-2047", "", false},
		{"several parts, one from 0", "GET", "bytes=500-600, 0-10", "", true},
		{"several later parts", "GET", "bytes=500-600,700-800", "", false},
		{"the last bytes", "GET", "bytes=-100", "", false},
		{"a suffix covering the file", "GET", "bytes=-5000", "", true},
		{"a resume with the right validator", "GET", "bytes=1024-", etag, false},
		{"a resume with a stale validator gets the whole file", "GET", "bytes=1024-", `"old"`, true},
		{"not bytes: ignored, the whole file", "GET", "items=1-2", "", true},
		{"garbage start", "GET", "bytes=x-", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/v1/download/file", nil)
			if tt.rng != "" {
				r.Header.Set("Range", tt.rng)
			}
			if tt.ifRange != "" {
				r.Header.Set("If-Range", tt.ifRange)
			}
			if got := startsDownload(r, etag, 4096); got != tt.want {
				t.Errorf("startsDownload = %v, want %v", got, tt.want)
			}
		})
	}
}
