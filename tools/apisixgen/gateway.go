package main

import (
	"fmt"
	"sort"
	"strings"

	// google.rpc.ErrorInfo, the detail of kratos's gRPC errors.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The gateway's policy beside the routes: what every request gets (global
// rules), the throttled routes, the SPA's catch-all, and what makes a
// transcoded answer look like the service's own HTTP answer.

// transcodeOptions are lua-protobuf's options for every transcoded route:
// APISIX's defaults with int64_as_string, so that no int64 loses precision
// (big values come back as "#123", which int64Fix turns into "123").
var transcodeOptions = []string{"enum_as_name", "int64_as_string", "auto_default_values", "disable_hooks"}

// errorDetailType is the detail kratos puts in every gRPC error status
// (its reason and metadata); its file goes into every proto object so that
// APISIX can decode it (show_status_in_body).
const errorDetailType = "google.rpc.ErrorInfo"

// throttled are the routes limit-req guards per client address before they
// reach a service: guessing passwords and codes, sending codes (SMS and
// mail cost money) and guessing share extraction codes. The services keep
// their own per-account limits; this stops a flood at the edge.
var throttled = map[string]limitReq{
	"/v1/user/login":      {Rate: 1, Burst: 5},
	"/v1/user/code/login": {Rate: 1, Burst: 5},
	"/v1/user/code/send":  {Rate: 0.2, Burst: 2},
	"/v1/share/open":      {Rate: 2, Burst: 10},
}

type limitReq struct {
	Rate         float64 `json:"rate"`
	Burst        float64 `json:"burst"`
	Key          string  `json:"key"`
	KeyType      string  `json:"key_type"`
	RejectedCode int     `json:"rejected_code"`
	RejectedMsg  string  `json:"rejected_msg"`
}

func (l limitReq) filled() *limitReq {
	l.Key, l.KeyType, l.RejectedCode = "remote_addr", "var", 429
	l.RejectedMsg = "too many requests from this address; try again later"
	return &l
}

// spaRoute sends every path no other route matches to the web app's server
// (deploy/Dockerfile, target web): APISIX picks the longest matching uri
// first, so "/*" is the last resort.
func spaRoute() route {
	return route{
		ID: "web.http.spa", URI: "/*", Methods: []string{"GET", "HEAD"}, Name: "GET,HEAD /* (web app)",
		Labels: map[string]string{"access": "public", "service": "web"}, UpstreamID: "web-http",
		Priority: -1,
	}
}

func webUpstream() upstream {
	return upstream{ID: "web-http", Name: "web HTTP", Type: "roundrobin", Scheme: "http",
		Nodes: map[string]int{fmt.Sprintf("web:%d", webPort): 1}}
}

// webPort is where deploy/web/nginx.conf listens.
const webPort = 8080

// globalRules apply to every route: CORS for browser clients on other
// origins, a request id (echoed to the services, which log it), Prometheus
// metrics, and APISIX's own errors (no route, limit-req, upstream down)
// reshaped into the drive's {code, reason, message, metadata}.
func globalRules() []globalRule {
	return []globalRule{{ID: "clouddrive", Plugins: map[string]any{
		"cors": map[string]any{
			"allow_origins": "**", "allow_methods": "**", "allow_headers": "**",
			"expose_headers": "X-Request-Id,Content-Range,Content-Disposition,ETag", "max_age": 3600,
		},
		"request-id":               map[string]any{"header_name": "X-Request-Id", "include_in_response": true, "algorithm": "uuid"},
		"prometheus":               map[string]any{"prefer_name": true},
		"serverless-post-function": map[string]any{"phase": "body_filter", "functions": []string{gatewayErrorLua}},
	}}}
}

type globalRule struct {
	ID      string         `json:"id"`
	Plugins map[string]any `json:"plugins"`
}

// gatewayErrorLua turns APISIX's own error bodies ({"error_msg": "..."})
// into the drive's shape, with a reason per status.
const gatewayErrorLua = `return function(conf, ctx)
  if ngx.status < 400 or not ngx.arg[2] then return end
  local core = require("apisix.core")
  local body = core.json.decode(ngx.arg[1] or "")
  if type(body) ~= "table" or type(body.error_msg) ~= "string" then return end
  local reasons = {[404] = "GATEWAY_NO_ROUTE", [429] = "GATEWAY_RATE_LIMITED", [502] = "GATEWAY_UPSTREAM_DOWN", [503] = "GATEWAY_UNAVAILABLE", [504] = "GATEWAY_TIMEOUT"}
  ngx.arg[1] = core.json.encode({code = ngx.status, reason = reasons[ngx.status] or "GATEWAY_ERROR", message = body.error_msg, metadata = core.json.empty_object or {}})
end`

// transcodeLua is the body_filter that runs after grpc-transcode on each
// transcoded route (serverless-post-function's priority is below it):
//   - a gRPC error, which grpc-transcode renders as {"error": {code,
//     message, details: [ErrorInfo]}}, becomes {code, reason, message,
//     metadata}, the services' own HTTP error body; code is the service's
//     HTTP status, which pkg/apierror carries in the metadata (http_code)
//     because gRPC codes have no room for 410, 413 or 422. The status line
//     stays grpc-transcode's mapping of the gRPC code (the same for 400,
//     401, 403, 404, 409, 429, 500, 503 and 504; 500 for the others).
//   - every int64 field of the reply (the paths generated per route) becomes
//     a JSON string as protojson writes it: lua-protobuf gives a number when
//     it fits 32 bits and "#123" otherwise.
func transcodeLua(paths [][]string) string {
	var p []string
	for _, path := range paths {
		q := make([]string, len(path))
		for i, s := range path {
			q[i] = fmt.Sprintf("%q", s)
		}
		p = append(p, "{"+strings.Join(q, ",")+"}")
	}
	return `return function(conf, ctx)
  if not ngx.arg[2] then return end
  local core = require("apisix.core")
  local body = core.json.decode(ngx.arg[1] or "")
  if type(body) ~= "table" then return end
  if ngx.status >= 300 then
    if type(body.error) ~= "table" then return end
    local d = type(body.error.details) == "table" and body.error.details[1] or {}
    local meta, code = {}, ngx.status
    for k, v in pairs(type(d.metadata) == "table" and d.metadata or {}) do
      if k == "http_code" then code = tonumber(v) or code else meta[k] = v end
    end
    if next(meta) == nil then meta = core.json.empty_object or meta end
    ngx.arg[1] = core.json.encode({code = code, reason = d.reason or "", message = body.error.message or "", metadata = meta})
    return
  end
  local function str(v)
    if type(v) == "number" then return string.format("%d", v) end
    if type(v) == "string" and v:sub(1, 1) == "#" then return v:sub(2) end
    return v
  end
  local function fix(t, path, i)
    if type(t) ~= "table" then return end
    local k = path[i]
    if k == "[]" then
      for _, e in ipairs(t) do fix(e, path, i + 1) end
    elseif i == #path then
      if type(t[k]) == "table" then
        for j, v in ipairs(t[k]) do t[k][j] = str(v) end
      elseif t[k] ~= nil then
        t[k] = str(t[k])
      end
    else
      fix(t[k], path, i + 1)
    end
  end
  for _, path in ipairs({` + strings.Join(p, ", ") + `}) do fix(body, path, 1) end
  ngx.arg[1] = core.json.encode(body)
end`
}

// int64Paths lists where a message holds 64-bit integers: each path is field
// names, "[]" stepping into the items of a repeated message field (a
// repeated int64 ends with its own name). Sorted; recursion stops at a
// message already on the path.
func int64Paths(md protoreflect.MessageDescriptor) [][]string {
	var out [][]string
	var walk func(md protoreflect.MessageDescriptor, prefix []string, seen map[protoreflect.FullName]bool)
	walk = func(md protoreflect.MessageDescriptor, prefix []string, seen map[protoreflect.FullName]bool) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		defer delete(seen, md.FullName())
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			f := fields.Get(i)
			path := append(append([]string(nil), prefix...), string(f.Name()))
			switch f.Kind() {
			case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
				protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
				if !f.IsMap() {
					out = append(out, path)
				}
			case protoreflect.MessageKind:
				if f.IsMap() || strings.HasPrefix(string(f.Message().FullName()), "google.protobuf.") {
					continue
				}
				if f.IsList() {
					path = append(path, "[]")
				}
				walk(f.Message(), path, seen)
			}
		}
	}
	walk(md, nil, map[protoreflect.FullName]bool{})
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], ".") < strings.Join(out[j], ".") })
	return out
}
