// Package apisix holds the gateway's generated configuration; its test
// checks that configuration against the running services.
package apisix

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"gopkg.in/yaml.v3"

	"clouddrive/app/standalone"
)

// gatewayFile is what APISIX loads in standalone mode (and load.sh sends to
// the Admin API in etcd mode).
type gatewayFile struct {
	Routes []struct {
		ID      string   `yaml:"id"`
		URI     string   `yaml:"uri"`
		Methods []string `yaml:"methods"`
		Labels  struct {
			Access string `yaml:"access"`
		} `yaml:"labels"`
		Plugins struct {
			GRPCTranscode *struct {
				ProtoID          string   `yaml:"proto_id"`
				Service          string   `yaml:"service"`
				Method           string   `yaml:"method"`
				PbOption         []string `yaml:"pb_option"`
				ShowStatusInBody bool     `yaml:"show_status_in_body"`
				StatusDetailType string   `yaml:"status_detail_type"`
			} `yaml:"grpc-transcode"`
			PostFunction *struct {
				Phase     string   `yaml:"phase"`
				Functions []string `yaml:"functions"`
			} `yaml:"serverless-post-function"`
		} `yaml:"plugins"`
	} `yaml:"routes"`
	Protos []struct {
		ID      string `yaml:"id"`
		Content string `yaml:"content"`
	} `yaml:"protos"`
}

// TestGatewayConformanceWithTestTranscoderInsteadOfAPISIX: APISIX cannot run
// here, so this test plays its grpc-transcode plugin by APISIX's documented
// and coded rules, and checks every transcoded route against the running
// drive (the standalone binary, in process):
//   - the route's proto object is compiled in process (protocompile) from
//     its content, a base64 FileDescriptorSet, as APISIX loads it;
//   - the gRPC request is built from the HTTP request as util.lua's
//     map_message does: top-level field names, from the JSON body for
//     POST/PUT/PATCH with a JSON content type, from the query string
//     otherwise; path parameters are never read;
//   - the call goes to the drive's gRPC port with the Authorization header
//     as metadata (dynamic messages, no generated code);
//   - the answer is rendered as lua-protobuf would with the route's
//     pb_option (int64 that fits 32 bits as a number, else "#123") and
//     grpc-status mapped to an HTTP status by grpc-transcode's table; errors
//     as show_status_in_body writes them, decoded with status_detail_type;
//   - then the route's generated serverless-post-function is applied as its
//     Lua says (its int64 paths are read from the Lua text, the error
//     reshape mirrored in Go: the Lua itself does not run here);
//   - and that is compared with what the drive's own HTTP handler answers
//     for the same request: the status, the error's code, reason, message
//     and metadata, and for successes every field's JSON type (strings for
//     int64 included), values that differ per user (ids, times) aside.
//
// Two users make the same calls in the same order, one through the
// transcoder and one over HTTP, so both see the same state; admin routes
// use the admin's token on both sides. Each route has a request template
// (routeCases) filled per side from fixtures both users made alike (files,
// a folder, trashed files, a version, shares, upload sessions, a
// notification, sessions, a sign-in code...), and must succeed on both
// sides, so two successful answers are compared, each state-changing call
// on its own object; only the routes in errorOnly, each with its reason,
// are compared on their error. A transcoded route in neither table fails
// the test, so a new route cannot go unchecked.
func TestGatewayConformanceWithTestTranscoderInsteadOfAPISIX(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the drive")
	}
	raw, err := os.ReadFile("apisix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var gw gatewayFile
	if err := yaml.Unmarshal(raw, &gw); err != nil {
		t.Fatalf("apisix.yaml: %v", err)
	}
	protos := map[string]linker.Files{}
	for _, p := range gw.Protos {
		protos[p.ID] = compileContent(t, p.ID, p.Content)
	}

	d := startDrive(t)
	conn, err := grpc.NewClient(d.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	admin := d.signUp(t, "gwadmin") // the first account is an admin
	viaGateway, viaHTTP := d.signUp(t, "gwalice"), d.signUp(t, "gwbob")
	fixG, fixH := fixtures(t, d, "gwalice", viaGateway), fixtures(t, d, "gwbob", viaHTTP)
	shareWith(t, d, viaGateway, fixG["file"], "gwbob")
	shareWith(t, d, viaHTTP, fixH["file"], "gwalice")
	fixG["notification"], fixH["notification"] = firstNotification(t, d, viaGateway), firstNotification(t, d, viaHTTP)

	n, transcoded := 0, map[string]bool{}
	for _, r := range gw.Routes {
		gt := r.Plugins.GRPCTranscode
		if gt == nil {
			continue
		}
		transcoded[r.ID] = true
		n++
		rc, succeeds := routeCases[r.ID]
		if !succeeds {
			var listed bool
			if rc, listed = errorOnly[r.ID]; !listed || rc.reason == "" {
				t.Errorf("route %s has no request in routeCases and no reason in errorOnly", r.ID)
				continue
			}
		}
		t.Run(r.ID, func(t *testing.T) {
			files := protos[gt.ProtoID]
			if files == nil {
				t.Fatalf("proto_id %s: no such proto object", gt.ProtoID)
			}
			if !gt.ShowStatusInBody || gt.StatusDetailType == "" || r.Plugins.PostFunction == nil ||
				r.Plugins.PostFunction.Phase != "body_filter" || len(r.Plugins.PostFunction.Functions) != 1 {
				t.Fatalf("route has no error rendering: show_status_in_body %v, status_detail_type %q, post-function %+v",
					gt.ShowStatusInBody, gt.StatusDetailType, r.Plugins.PostFunction)
			}
			sd, err := files.AsResolver().FindDescriptorByName(protoreflect.FullName(gt.Service))
			if err != nil {
				t.Fatalf("service %s is not in proto %s: %v", gt.Service, gt.ProtoID, err)
			}
			md := sd.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(gt.Method))
			if md == nil {
				t.Fatalf("method %s is not in %s", gt.Method, gt.Service)
			}
			detail, err := files.AsResolver().FindDescriptorByName(protoreflect.FullName(gt.StatusDetailType))
			if err != nil {
				t.Fatalf("status_detail_type %s is not in proto %s", gt.StatusDetailType, gt.ProtoID)
			}
			if len(r.Methods) != 1 {
				t.Fatalf("methods %v: a transcoded route has one", r.Methods)
			}
			method := r.Methods[0]
			if body := method != "GET" && method != "DELETE"; body && rc.query != "" || !body && rc.body != "" {
				t.Fatalf("%s route: APISIX reads the body for POST/PUT/PATCH only, the query otherwise", method)
			}
			// Each side's request from its own fixtures.
			type request struct {
				query, body string
				headers     map[string]string
			}
			build := func(vals map[string]string) request {
				q := request{query: fill(t, rc.query, vals, url.QueryEscape), headers: map[string]string{}}
				if method != "GET" && method != "DELETE" {
					q.body = "{}"
					if rc.body != "" {
						q.body = fill(t, rc.body, vals, func(s string) string { return s })
					}
				}
				for k, v := range rc.headers {
					q.headers[k] = fill(t, v, vals, func(s string) string { return s })
				}
				return q
			}
			reqG, reqH := build(fixG), build(fixH)
			ctype := ""
			if method != "GET" && method != "DELETE" {
				ctype = "application/json"
			}
			uriH := r.URI
			if reqH.query != "" {
				uriH += "?" + reqH.query
			}
			tokG, tokH := "", ""
			switch r.Labels.Access {
			case "bearer":
				tokG, tokH = viaGateway, viaHTTP
			case "admin":
				tokG, tokH = admin, admin
			}
			if rc.token != "" {
				tokG, tokH = fixG[rc.token], fixH[rc.token]
			}

			gStatus, gBody := transcode(t, conn, md, detail.(protoreflect.MessageDescriptor), int64PathsOf(t, r.Plugins.PostFunction.Functions[0]),
				method, reqG.query, reqG.body, ctype, tokG, reqG.headers)
			hStatus, hRaw := d.doWith(t, method, uriH, tokH, ctype, reqH.body, reqH.headers)
			var hBody any
			if err := json.Unmarshal(hRaw, &hBody); err != nil {
				t.Fatalf("the HTTP handler answered %d %q: %v", hStatus, hRaw, err)
			}
			if gStatus != hStatus {
				t.Errorf("status: gateway %d, HTTP %d\ngateway: %s\nHTTP:    %s", gStatus, hStatus, js(gBody), hRaw)
				return
			}
			if succeeds && gStatus != 200 {
				t.Errorf("the request should succeed on both sides, both answered %d\ngateway: %s\nHTTP:    %s", gStatus, js(gBody), hRaw)
				return
			}
			if !succeeds && gStatus < 300 {
				t.Errorf("listed in errorOnly (%s), yet both sides succeeded: give it a routeCase\ngateway: %s", rc.reason, js(gBody))
				return
			}
			if gStatus >= 300 {
				if js(gBody) != js(hBody) {
					t.Errorf("error body:\ngateway: %s\nHTTP:    %s", js(gBody), js(hBody))
				}
				return
			}
			if diff := sameShape("", normalize(gBody), normalize(hBody)); diff != "" {
				t.Errorf("%s\ngateway: %s\nHTTP:    %s", diff, js(gBody), hRaw)
			}
		})
	}
	for id := range routeCases {
		if !transcoded[id] {
			t.Errorf("routeCases has %s, which apisix.yaml does not transcode", id)
		}
	}
	for id := range errorOnly {
		if !transcoded[id] {
			t.Errorf("errorOnly has %s, which apisix.yaml does not transcode", id)
		}
		if _, both := routeCases[id]; both {
			t.Errorf("%s is in both routeCases and errorOnly", id)
		}
	}
	if n < 20 {
		t.Fatalf("only %d transcoded routes in apisix.yaml", n)
	}

	// int64 through the gateway as through the HTTP handler: a file's size
	// is a JSON string on both sides.
	t.Run("int64 as strings", func(t *testing.T) {
		_, listed := d.do(t, "GET", "/v1/file/list", viaHTTP, "", "")
		if !regexp.MustCompile(`"size":\s*"15"`).Match(listed) {
			t.Fatalf("the HTTP handler's listing has no \"size\":\"15\": %s", listed)
		}
		var fileList, lua string
		for _, r := range gw.Routes {
			if r.URI == "/v1/file/list" {
				fileList, lua = r.Plugins.GRPCTranscode.ProtoID, r.Plugins.PostFunction.Functions[0]
			}
		}
		files := protos[fileList]
		sd, _ := files.AsResolver().FindDescriptorByName("clouddrive.file.v1.File")
		md := sd.(protoreflect.ServiceDescriptor).Methods().ByName("List")
		detail, _ := files.AsResolver().FindDescriptorByName(errorDetailName)
		_, body := transcode(t, conn, md, detail.(protoreflect.MessageDescriptor), int64PathsOf(t, lua), "GET", "", "", "", viaGateway, nil)
		if !regexp.MustCompile(`"size":"15"`).MatchString(js(body)) {
			t.Fatalf("through the gateway the listing has no \"size\":\"15\": %s", js(body))
		}
	})
}

const errorDetailName = "google.rpc.ErrorInfo"

// compileContent compiles a proto object's content as APISIX loads it: the
// base64 of a FileDescriptorSet (APISIX tries .proto text first).
func compileContent(t *testing.T, id, content string) linker.Files {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		t.Fatalf("proto %s: content is neither .proto text nor base64: %v", id, err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(b, &set); err != nil {
		t.Fatalf("proto %s: not a FileDescriptorSet: %v", id, err)
	}
	byPath := map[string]*descriptorpb.FileDescriptorProto{}
	var names []string
	for _, f := range set.File {
		byPath[f.GetName()] = f
		names = append(names, f.GetName())
	}
	c := protocompile.Compiler{Resolver: protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		if f, ok := byPath[path]; ok {
			return protocompile.SearchResult{Proto: f}, nil
		}
		return protocompile.SearchResult{}, fmt.Errorf("%s imports %s, which the set does not hold", id, path)
	})}
	files, err := c.Compile(context.Background(), names...)
	if err != nil {
		t.Fatalf("proto %s does not compile: %v", id, err)
	}
	return files
}

// int64PathsOf reads the paths table of a generated post-function:
// `for _, path in ipairs({{"a","[]","b"}, {"c"}}) do`.
func int64PathsOf(t *testing.T, lua string) [][]string {
	t.Helper()
	m := regexp.MustCompile(`for _, path in ipairs\(\{(.*)\}\) do fix`).FindStringSubmatch(lua)
	if m == nil {
		t.Fatalf("the post-function has no int64 paths table:\n%s", lua)
	}
	var out [][]string
	for _, p := range regexp.MustCompile(`\{([^{}]*)\}`).FindAllStringSubmatch(m[1], -1) {
		var path []string
		for _, s := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(p[1], -1) {
			path = append(path, s[1])
		}
		out = append(out, path)
	}
	return out
}

// grpcToHTTP is grpc-transcode's status_rel table (apisix/plugins/grpc-transcode.lua).
var grpcToHTTP = map[int]int{1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409,
	11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}

// transcode is the test's grpc-transcode plus the route's post-function.
func transcode(t *testing.T, conn *grpc.ClientConn, md protoreflect.MethodDescriptor, detail protoreflect.MessageDescriptor,
	int64Paths [][]string, method, query, body, ctype, token string, headers map[string]string) (int, any) {
	t.Helper()
	// get_request_table: the JSON body for POST/PUT/PATCH with a JSON
	// content type, else the query string (ngx.req.get_uri_args: one value
	// as a string, a repeated name as a list).
	table := map[string]any{}
	if (method == "POST" || method == "PUT" || method == "PATCH") && strings.Contains(ctype, "application/json") {
		if err := json.Unmarshal([]byte(body), &table); err != nil {
			t.Fatal(err)
		}
	} else {
		args, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range args {
			if len(vs) == 1 {
				table[k] = vs[0]
				continue
			}
			l := make([]any, len(vs))
			for i, v := range vs {
				l[i] = v
			}
			table[k] = l
		}
	}
	req := dynamicpb.NewMessage(md.Input())
	fillMessage(t, req, table)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	// grpc_pass sends the request's headers on as HTTP/2 headers, which
	// the service reads as metadata.
	for k, v := range headers {
		ctx = metadata.AppendToOutgoingContext(ctx, strings.ToLower(k), v)
	}
	reply := dynamicpb.NewMessage(md.Output())
	full := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	if err := conn.Invoke(ctx, full, req, reply); err != nil {
		st := status.Convert(err)
		code := grpcToHTTP[int(st.Code())]
		if code == 0 {
			code = 599
		}
		// show_status_in_body: {"error": {code, message, details}}, each
		// detail decoded as status_detail_type; then the post-function.
		var details []any
		for _, a := range st.Proto().GetDetails() {
			dm := dynamicpb.NewMessage(detail)
			if err := proto.Unmarshal(a.GetValue(), dm); err != nil {
				t.Fatalf("detail %s does not decode as %s: %v", a.GetTypeUrl(), detail.FullName(), err)
			}
			details = append(details, luaValue(dm))
		}
		// The post-function: code from metadata.http_code, which leaves
		// the metadata.
		reason, meta, bodyCode := "", map[string]any{}, float64(code)
		if len(details) > 0 {
			d := details[0].(map[string]any)
			if r, ok := d["reason"].(string); ok {
				reason = r
			}
			m, _ := d["metadata"].(map[string]any)
			for k, v := range m {
				if n, err := strconv.Atoi(fmt.Sprint(v)); k == "http_code" && err == nil {
					bodyCode = float64(n)
				} else if k != "http_code" {
					meta[k] = v
				}
			}
		}
		return code, map[string]any{"code": bodyCode, "reason": reason, "message": st.Message(), "metadata": meta}
	}
	out := luaValue(reply).(map[string]any)
	for _, p := range int64Paths {
		fixInt64(out, p)
	}
	return 200, out
}

// fillMessage is map_message for the flat requests the gateway serves:
// each top-level field by name; int64 as given, other numbers tonumber'd,
// a bool from a string true whatever it says (lua-protobuf).
func fillMessage(t *testing.T, m *dynamicpb.Message, table map[string]any) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		v, ok := table[string(f.Name())]
		if !ok || v == nil {
			continue
		}
		if f.IsList() {
			items, _ := v.([]any)
			l := m.Mutable(f).List()
			for _, it := range items {
				l.Append(scalar(t, f, it))
			}
			continue
		}
		if f.Kind() == protoreflect.MessageKind {
			t.Fatalf("field %s is a message: the flat-request rule forbids it", f.FullName())
		}
		m.Set(f, scalar(t, f, v))
	}
}

func scalar(t *testing.T, f protoreflect.FieldDescriptor, v any) protoreflect.Value {
	t.Helper()
	num := func() float64 {
		switch x := v.(type) {
		case float64:
			return x
		case string:
			n, _ := strconv.ParseFloat(x, 64)
			return n
		}
		return 0
	}
	switch f.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprint(v))
	case protoreflect.BoolKind:
		if b, ok := v.(bool); ok {
			return protoreflect.ValueOfBool(b)
		}
		return protoreflect.ValueOfBool(true)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(num()))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if s, ok := v.(string); ok {
			n, _ := strconv.ParseInt(s, 10, 64)
			return protoreflect.ValueOfInt64(n)
		}
		return protoreflect.ValueOfInt64(int64(num()))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(num()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(num()))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(num())
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(num()))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(fmt.Sprint(v)))
	}
	t.Fatalf("field %s: kind %s in a request", f.FullName(), f.Kind())
	return protoreflect.Value{}
}

// luaValue is a decoded message as lua-protobuf gives it to cjson with
// enum_as_name, int64_as_string and auto_default_values: every field, enums
// by name, 64-bit integers as numbers when they fit 32 bits and "#123"
// otherwise, bytes as raw strings.
func luaValue(m protoreflect.Message) any {
	out := map[string]any{}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		switch {
		case f.IsMap():
			mm := map[string]any{}
			m.Get(f).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				mm[k.String()] = luaScalar(f.MapValue(), v)
				return true
			})
			out[string(f.Name())] = mm
		case f.IsList():
			l := m.Get(f).List()
			items := make([]any, l.Len())
			for j := range items {
				items[j] = luaScalar(f, l.Get(j))
			}
			out[string(f.Name())] = items
		case f.Kind() == protoreflect.MessageKind:
			if m.Has(f) {
				out[string(f.Name())] = luaValue(m.Get(f).Message())
			}
		default:
			out[string(f.Name())] = luaScalar(f, m.Get(f))
		}
	}
	return out
}

func luaScalar(f protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return luaValue(v.Message())
	case protoreflect.EnumKind:
		if ev := f.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return float64(v.Enum())
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n := v.Int()
		if n >= math.MinInt32 && n <= math.MaxUint32 {
			return float64(n)
		}
		return "#" + strconv.FormatInt(n, 10)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n := v.Uint()
		if n <= math.MaxUint32 {
			return float64(n)
		}
		return "#" + strconv.FormatUint(n, 10)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return float64(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return float64(v.Uint())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.BytesKind:
		return string(v.Bytes())
	}
	return v.String()
}

// fixInt64 is the post-function's fix(): "[]" steps into a list's items;
// the last name's value (or each item of it) becomes a decimal string.
func fixInt64(v any, path []string) {
	str := func(x any) any {
		switch y := x.(type) {
		case float64:
			return strconv.FormatInt(int64(y), 10)
		case string:
			return strings.TrimPrefix(y, "#")
		}
		return x
	}
	switch t := v.(type) {
	case []any:
		if path[0] == "[]" {
			for _, e := range t {
				fixInt64(e, path[1:])
			}
		}
	case map[string]any:
		k := path[0]
		if len(path) == 1 {
			if l, ok := t[k].([]any); ok {
				for i := range l {
					l[i] = str(l[i])
				}
			} else if x, ok := t[k]; ok {
				t[k] = str(x)
			}
			return
		}
		fixInt64(t[k], path[1:])
	}
}

// normalize drops what a client cannot tell apart: zero values, empty
// lists and objects (protojson writes them, lua-protobuf's defaults differ).
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if n := normalize(x); n != nil {
				out[k] = n
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(t) == 0 {
			return nil
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	case string:
		if t == "" || t == "0" {
			return nil
		}
	case float64:
		if t == 0 {
			return nil
		}
	case bool:
		if !t {
			return nil
		}
	}
	return v
}

// sameShape compares two JSON values by keys, lengths and types, not by
// the values that differ between two users (ids, names, times).
func sameShape(path string, a, b any) string {
	if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
		return fmt.Sprintf("%s: gateway %T (%v), HTTP %T (%v)", path, a, a, b, b)
	}
	switch x := a.(type) {
	case map[string]any:
		y := b.(map[string]any)
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if d := sameShape(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return fmt.Sprintf("%s: gateway %d items, HTTP %d", path, len(x), len(y))
		}
		for i := range x {
			if d := sameShape(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
	}
	return ""
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// drive is the standalone binary's servers, run in this process.
type drive struct {
	base, grpcAddr, dataDir string
}

func startDrive(t *testing.T) *drive {
	t.Helper()
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	d := &drive{grpcAddr: free(), dataDir: t.TempDir()}
	httpAddr := free()
	d.base = "http://" + httpAddr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- standalone.Run(ctx, standalone.Options{DataDir: d.dataDir, HTTPAddr: httpAddr, GRPCAddr: d.grpcAddr,
			Logger: log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError))})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for i := 0; ; i++ {
		select {
		case err := <-done:
			t.Fatalf("the drive stopped: %v", err)
		default:
		}
		if resp, err := http.Get(d.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if i == 300 {
			t.Fatal("the drive did not answer /healthz in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// do sends one HTTP request to the drive's own handlers.
func (d *drive) do(t *testing.T, method, uri, token, ctype, body string) (int, []byte) {
	t.Helper()
	return d.doWith(t, method, uri, token, ctype, body, nil)
}

// doWith is do with more request headers.
func (d *drive) doWith(t *testing.T, method, uri, token, ctype, body string, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, d.base+uri, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, bytes.TrimSpace(b)
}

// signUp registers and logs in a user, returning the access token.
func (d *drive) signUp(t *testing.T, name string) string {
	t.Helper()
	cred := fmt.Sprintf(`{"username":%q,"password":"correct horse battery"}`, name)
	if code, b := d.do(t, "POST", "/v1/user/register", "", "application/json", cred); code != 200 {
		t.Fatalf("register %s: %d %s", name, code, b)
	}
	code, b := d.do(t, "POST", "/v1/user/login", "", "application/json", cred)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); code != 200 || err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %s", name, code, b)
	}
	return tok.AccessToken
}
