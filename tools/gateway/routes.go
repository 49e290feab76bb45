package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// route is one route of the gateway's generated configuration
// (apisix/routes.json): a path, exact or "prefix/*", and its service.
type route struct {
	URI    string `json:"uri"`
	Labels struct {
		Service string `json:"service"`
	} `json:"labels"`
}

// webService is the label of APISIX's route to the web app's own server.
const webService = "web"

// routes finds a path's service: exact paths first, then the longest
// prefix, as APISIX's radix tree does.
type routes struct {
	exact    map[string]string
	prefixes []route // "/v1/upload/" → storage, longest first
}

// loadRoutes reads the routes APISIX is given, so the stand-in routes the
// very paths the gateway does and no list is kept twice.
func loadRoutes(path string) (*routes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []route
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &routes{exact: map[string]string{}}
	for _, rt := range list {
		// The catch-all route to the "web" upstream is this stand-in's own
		// job: it serves the embedded web app on every path no service has.
		if rt.Labels.Service == "" || rt.Labels.Service == webService {
			continue
		}
		if p, ok := strings.CutSuffix(rt.URI, "*"); ok {
			r.prefixes = append(r.prefixes, route{URI: p, Labels: rt.Labels})
		} else {
			r.exact[rt.URI] = rt.Labels.Service
		}
	}
	sort.Slice(r.prefixes, func(i, j int) bool { return len(r.prefixes[i].URI) > len(r.prefixes[j].URI) })
	if len(r.exact) == 0 {
		return nil, fmt.Errorf("%s: no routes", path)
	}
	return r, nil
}

// service is the service that answers path, "" when none does (the web app).
func (r *routes) service(path string) string {
	if s, ok := r.exact[path]; ok {
		return s
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(path, p.URI) || path+"/" == p.URI {
			return p.Labels.Service
		}
	}
	return ""
}

// services lists every service a route names.
func (r *routes) services() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range r.exact {
		add(s)
	}
	for _, p := range r.prefixes {
		add(p.Labels.Service)
	}
	sort.Strings(out)
	return out
}

// grpcService is the service of a gRPC method path
// ("/clouddrive.file.v1.File/List" → file), "" for another package.
func grpcService(path string) string {
	rest, ok := strings.CutPrefix(path, "/clouddrive.")
	if !ok {
		return ""
	}
	svc, _, ok := strings.Cut(rest, ".")
	if !ok {
		return ""
	}
	return svc
}
