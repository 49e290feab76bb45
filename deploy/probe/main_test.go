package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheckPassesOn2xxOnly(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	for _, tc := range []struct {
		status, want int
	}{{200, 0}, {204, 0}, {503, 1}, {404, 1}} {
		status = tc.status
		if got := check(srv.URL+"/readyz", time.Second); got != tc.want {
			t.Errorf("status %d: exit %d, want %d", tc.status, got, tc.want)
		}
	}
	if got := check("http://127.0.0.1:1/readyz", time.Second); got != 1 {
		t.Errorf("refused connection: exit %d, want 1", got)
	}
}
