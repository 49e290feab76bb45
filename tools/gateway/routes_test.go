package main

import "testing"

// The stand-in routes by the generated APISIX routes; their catch-all to the
// web app's server must not swallow unknown API paths (they were answered
// 503 "no instance of web" instead of the web app's 404).
func TestRoutesFromGeneratedConfig(t *testing.T) {
	rs, err := loadRoutes("../../apisix/routes.json")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/v1/file/list":            "file",
		"/v1/upload/chunk/abc/1":   "storage",
		"/":                        "",
		"/index.html":              "",
		"/v1/file/internal/create": "",
		"/v1/no-such-route":        "",
	} {
		if got := rs.service(path); got != want {
			t.Errorf("service(%q) = %q, want %q", path, got, want)
		}
	}
	for _, s := range rs.services() {
		if s == webService {
			t.Errorf("services() names %q: the stand-in serves the web app itself", s)
		}
	}
}
