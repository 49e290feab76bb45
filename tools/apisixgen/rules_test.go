package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	annotationsv1 "clouddrive/api/annotations/v1"
	"clouddrive/pkg/auth"
)

// linked returns the RPCs of the protos linked into the generator, failing
// when there are none (a broken services.go).
func linked(t *testing.T) []rpc {
	t.Helper()
	rpcs := collect(protoregistry.GlobalFiles)
	if len(rpcs) == 0 {
		t.Fatal("no clouddrive RPCs are linked in; see services.go")
	}
	return rpcs
}

// (b) The flat-request rule, stated on its own: every HTTP-annotated RPC has
// a literal path, GET rules no body, POST/PUT/PATCH rules body "*", and a
// request of scalars, enums or repeated scalars only (APISIX's grpc-transcode
// matches top-level field names only). lintRPC, which the generator enforces,
// is stricter still (no enums, no lists in a query string); both must hold.
func TestFlatRequestRule(t *testing.T) {
	for _, r := range linked(t) {
		if r.rule == nil {
			continue
		}
		method, path := verbPath(r.rule)
		op := r.operation()
		if strings.ContainsAny(path, "{}") {
			t.Errorf("%s: path %q has path variables", op, path)
		}
		switch method {
		case "GET", "DELETE":
			if b := r.rule.GetBody(); b != "" {
				t.Errorf("%s: %s rule has body %q, want none", op, method, b)
			}
		case "POST", "PUT", "PATCH":
			if b := r.rule.GetBody(); b != "*" {
				t.Errorf(`%s: %s rule has body %q, want "*"`, op, method, b)
			}
		default:
			t.Errorf("%s: unsupported rule pattern %T", op, r.rule.GetPattern())
		}
		in := r.md.Input()
		for i := 0; i < in.Fields().Len(); i++ {
			f := in.Fields().Get(i)
			if f.IsMap() || f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind {
				t.Errorf("%s: request field %s.%s is not a scalar, enum or repeated scalar", op, in.Name(), f.Name())
			}
		}
	}
	for _, p := range lint(linked(t)) {
		t.Error(p)
	}
}

// (c) The committed routes agree with the annotations: unique uris and ids,
// exactly one route per non-INTERNAL unary RPC, none for INTERNAL or
// streaming RPCs, the right uri, method, labels and upstream on each, ADMIN
// routes under /v1/admin/, and every raw route present.
func TestRoutesMatchAnnotations(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "apisix", "routes.json"))
	if err != nil {
		t.Fatalf("%v; run `make apisix`", err)
	}
	var routes []route
	if err := json.Unmarshal(b, &routes); err != nil {
		t.Fatalf("apisix/routes.json: %v", err)
	}
	cfg, err := build(protoregistry.GlobalFiles, linked(t), rawRoutes)
	if err != nil {
		t.Fatal(err)
	}
	upstreams := map[string]upstream{}
	for _, u := range cfg.Upstreams {
		upstreams[u.ID] = u
	}
	protos := map[string]bool{}
	for _, p := range cfg.Protos {
		protos[p.ID] = true
	}

	uris, ids := map[string]string{}, map[string]bool{}
	byOp := map[string][]route{}
	for _, r := range routes {
		if prev, ok := uris[r.URI]; ok {
			t.Errorf("uri %s is routed twice: %s and %s", r.URI, prev, r.ID)
		}
		uris[r.URI] = r.ID
		if ids[r.ID] {
			t.Errorf("route id %s is used twice", r.ID)
		}
		ids[r.ID] = true
		if _, ok := upstreams[r.UpstreamID]; !ok {
			t.Errorf("route %s: upstream %s is not defined", r.ID, r.UpstreamID)
		}
		admin := strings.HasPrefix(r.URI, adminPrefix)
		if (r.Labels["access"] == "admin") != admin {
			t.Errorf("route %s: uri %s with access %q; admin routes, and only those, live under %s",
				r.ID, r.URI, r.Labels["access"], adminPrefix)
		}
		if r.Plugins != nil && r.Plugins.GRPCTranscode != nil {
			gt := r.Plugins.GRPCTranscode
			if !protos[gt.ProtoID] {
				t.Errorf("route %s: proto %s is not defined", r.ID, gt.ProtoID)
			}
			op := "/" + gt.Service + "/" + gt.Method
			byOp[op] = append(byOp[op], r)
		}
	}

	for _, rp := range linked(t) {
		op := rp.operation()
		got := byOp[op]
		delete(byOp, op)
		switch {
		case rp.access == auth.Internal:
			if len(got) != 0 {
				t.Errorf("%s is INTERNAL but routed: %s", op, got[0].URI)
			}
			continue
		case rp.streaming():
			if len(got) != 0 {
				t.Errorf("%s is streaming but routed: %s", op, got[0].URI)
			}
			continue
		case len(got) != 1:
			t.Errorf("%s: %d routes, want exactly 1", op, len(got))
			continue
		}
		r := got[0]
		method, path := verbPath(rp.rule)
		if r.URI != path {
			t.Errorf("%s: route uri %s, rule path %s", op, r.URI, path)
		}
		if len(r.Methods) != 1 || r.Methods[0] != method {
			t.Errorf("%s: route methods %v, rule %s", op, r.Methods, method)
		}
		if want := accessLabel(rp.access); r.Labels["access"] != want {
			t.Errorf("%s: access label %q, annotation %q", op, r.Labels["access"], want)
		}
		if r.Labels["service"] != rp.svc || r.UpstreamID != rp.svc+"-grpc" || r.Plugins.GRPCTranscode.ProtoID != rp.svc {
			t.Errorf("%s: service label %q, upstream %s, proto %s; want %s, %s-grpc, %s",
				op, r.Labels["service"], r.UpstreamID, r.Plugins.GRPCTranscode.ProtoID, rp.svc, rp.svc, rp.svc)
		}
		if u := upstreams[r.UpstreamID]; u.Scheme != "grpc" || u.Nodes[rp.svc+":9000"] == 0 {
			t.Errorf("%s: upstream %+v is not grpc://%s:9000", op, u, rp.svc)
		}
		if rp.access == auth.Admin && !strings.HasPrefix(r.URI, adminPrefix) {
			t.Errorf("%s is ADMIN but routed at %s, outside %s", op, r.URI, adminPrefix)
		}
	}
	for op := range byOp {
		t.Errorf("route for %s, which is not a linked RPC", op)
	}

	for _, rr := range rawRoutes {
		id := rr.Service + ".http." + rr.Name
		found := false
		for _, r := range routes {
			if r.ID != id {
				continue
			}
			found = true
			if r.Plugins != nil || r.UpstreamID != rr.Service+"-http" || r.Labels["access"] != rr.Access {
				t.Errorf("raw route %s: plugins %v, upstream %s, access %s", id, r.Plugins, r.UpstreamID, r.Labels["access"])
			}
			if u := upstreams[r.UpstreamID]; u.Scheme != "http" || u.Nodes[rr.Service+":8000"] == 0 {
				t.Errorf("raw route %s: upstream %+v is not http://%s:8000", id, u, rr.Service)
			}
		}
		if !found {
			t.Errorf("raw route %s is missing from routes.json", id)
		}
	}
}

// testFile builds a synthetic clouddrive.test.v1 proto with one method per
// case, so that lint can be shown to catch every kind of violation.
type lintCase struct {
	name      string
	rule      *annotations.HttpRule
	access    annotationsv1.Access
	input     string // message name
	streaming bool
	want      string // a substring of the one problem expected; "" for none
}

func get(path string) *annotations.HttpRule {
	return &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: path}}
}

func post(path, body string) *annotations.HttpRule {
	return &annotations.HttpRule{Pattern: &annotations.HttpRule_Post{Post: path}, Body: body}
}

func field(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, repeated bool, typeName string) *descriptorpb.FieldDescriptorProto {
	label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	if repeated {
		label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	}
	f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Type: typ.Enum(), Label: label.Enum(),
		JsonName: proto.String(name)}
	if typeName != "" {
		f.TypeName = proto.String(typeName)
	}
	return f
}

func testRegistry(t *testing.T, cases []lintCase) *protoregistry.Files {
	t.Helper()
	const (
		str = descriptorpb.FieldDescriptorProto_TYPE_STRING
		i64 = descriptorpb.FieldDescriptorProto_TYPE_INT64
		msg = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
		enm = descriptorpb.FieldDescriptorProto_TYPE_ENUM
	)
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("test/v1/test.proto"),
		Package:    proto.String("clouddrive.test.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/api/annotations.proto", "annotations/v1/access.proto"},
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("Color"),
			Value: []*descriptorpb.EnumValueDescriptorProto{{Name: proto.String("COLOR_UNSPECIFIED"), Number: proto.Int32(0)}}}},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Empty")},
			{Name: proto.String("Scalars"), Field: []*descriptorpb.FieldDescriptorProto{
				field("id", 1, str, false, ""), field("size", 2, i64, false, "")}},
			{Name: proto.String("List"), Field: []*descriptorpb.FieldDescriptorProto{
				field("ids", 1, str, true, ""), field("parent_id", 2, str, false, "")}},
			{Name: proto.String("Nested"), Field: []*descriptorpb.FieldDescriptorProto{
				field("inner", 1, msg, false, ".clouddrive.test.v1.Scalars")}},
			{Name: proto.String("Nodes"), Field: []*descriptorpb.FieldDescriptorProto{
				field("items", 1, msg, true, ".clouddrive.test.v1.Scalars")}},
			{Name: proto.String("WithEnum"), Field: []*descriptorpb.FieldDescriptorProto{
				field("color", 1, enm, false, ".clouddrive.test.v1.Color")}},
			{Name: proto.String("WithMap"),
				NestedType: []*descriptorpb.DescriptorProto{{Name: proto.String("TagsEntry"),
					Field:   []*descriptorpb.FieldDescriptorProto{field("key", 1, str, false, ""), field("value", 2, str, false, "")},
					Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}}},
				Field: []*descriptorpb.FieldDescriptorProto{field("tags", 1, msg, true, ".clouddrive.test.v1.WithMap.TagsEntry")}},
		},
	}
	svc := &descriptorpb.ServiceDescriptorProto{Name: proto.String("Test")}
	for _, c := range cases {
		opts := &descriptorpb.MethodOptions{}
		if c.rule != nil {
			proto.SetExtension(opts, annotations.E_Http, c.rule)
		}
		if c.access != auth.Bearer {
			proto.SetExtension(opts, annotationsv1.E_Access, c.access)
		}
		svc.Method = append(svc.Method, &descriptorpb.MethodDescriptorProto{
			Name: proto.String(c.name), InputType: proto.String(".clouddrive.test.v1." + c.input),
			OutputType: proto.String(".clouddrive.test.v1.Empty"), Options: opts,
			ClientStreaming: proto.Bool(c.streaming), ServerStreaming: proto.Bool(c.streaming),
		})
	}
	fdp.Service = []*descriptorpb.ServiceDescriptorProto{svc}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	reg := new(protoregistry.Files)
	if err := reg.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestLintCatchesEachViolation(t *testing.T) {
	custom := &annotations.HttpRule{Pattern: &annotations.HttpRule_Custom{
		Custom: &annotations.CustomHttpPattern{Kind: "HEAD", Path: "/v1/test/head"}}}
	withBinding := post("/v1/test/bound", "*")
	withBinding.AdditionalBindings = []*annotations.HttpRule{get("/v1/test/bound2")}
	withResponseBody := post("/v1/test/rb", "*")
	withResponseBody.ResponseBody = "id"
	del := &annotations.HttpRule{Pattern: &annotations.HttpRule_Delete{Delete: "/v1/test/del"}}
	patchNoBody := &annotations.HttpRule{Pattern: &annotations.HttpRule_Patch{Patch: "/v1/test/patch"}}

	cases := []lintCase{
		{name: "GetOK", rule: get("/v1/test/get"), input: "Scalars"},
		{name: "PostOK", rule: post("/v1/test/post", "*"), input: "List"},
		{name: "PublicOK", rule: post("/v1/test/public", "*"), access: auth.Public, input: "Empty"},
		{name: "AdminOK", rule: get("/v1/admin/test/get"), access: auth.Admin, input: "Scalars"},
		{name: "DeleteOK", rule: del, input: "Scalars"},
		{name: "InternalOK", access: auth.Internal, input: "Nested"},
		{name: "StreamOK", streaming: true, input: "Nested"},
		{name: "PathVariable", rule: get("/v1/test/{id}"), input: "Scalars", want: "path variables"},
		{name: "Wildcard", rule: get("/v1/test/*"), input: "Scalars", want: "wildcards"},
		{name: "GetWithBody", rule: &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/test/gb"}, Body: "*"},
			input: "Scalars", want: "must have no body"},
		{name: "PostNoBody", rule: post("/v1/test/pnb", ""), input: "Scalars", want: `must have body "*"`},
		{name: "PostFieldBody", rule: post("/v1/test/pfb", "id"), input: "Scalars", want: `must have body "*"`},
		{name: "PatchNoBody", rule: patchNoBody, input: "Scalars", want: `must have body "*"`},
		{name: "NestedMessage", rule: post("/v1/test/nested", "*"), input: "Nested", want: "is a message"},
		{name: "RepeatedMessage", rule: post("/v1/test/nodes", "*"), input: "Nodes", want: "is a message"},
		{name: "Map", rule: post("/v1/test/map", "*"), input: "WithMap", want: "is a map"},
		{name: "Enum", rule: post("/v1/test/enum", "*"), input: "WithEnum", want: "is an enum"},
		{name: "GetList", rule: get("/v1/test/list"), input: "List", want: "cannot carry a list"},
		{name: "InternalRouted", rule: post("/v1/test/internal", "*"), access: auth.Internal, input: "Empty",
			want: "INTERNAL RPC must have no"},
		{name: "BearerUnrouted", input: "Empty", want: "needs a google.api.http rule"},
		{name: "PublicUnrouted", access: auth.Public, input: "Empty", want: "needs a google.api.http rule"},
		{name: "StreamRouted", rule: post("/v1/test/stream", "*"), streaming: true, input: "Empty",
			want: "streaming RPC cannot be transcoded"},
		{name: "AdminOutside", rule: get("/v1/test/admin"), access: auth.Admin, input: "Empty",
			want: "must be under /v1/admin/"},
		{name: "BearerInsideAdmin", rule: get("/v1/admin/test/x"), input: "Empty", want: "is under /v1/admin/"},
		{name: "Custom", rule: custom, input: "Empty", want: "only get, post"},
		{name: "AdditionalBindings", rule: withBinding, input: "Empty", want: "additional_bindings"},
		{name: "ResponseBody", rule: withResponseBody, input: "Empty", want: "response_body"},
		{name: "RelativePath", rule: get("v1/test/rel"), input: "Empty", want: "must start with /"},
	}
	reg := testRegistry(t, cases)
	rpcs := collect(reg)
	if len(rpcs) != len(cases) {
		t.Fatalf("collected %d RPCs, want %d", len(rpcs), len(cases))
	}
	byName := map[string]rpc{}
	for _, r := range rpcs {
		if r.svc != "test" {
			t.Errorf("%s: service %q, want test", r.operation(), r.svc)
		}
		byName[string(r.md.Name())] = r
	}
	for _, c := range cases {
		probs := lintRPC(byName[c.name])
		switch {
		case c.want == "" && len(probs) > 0:
			t.Errorf("%s: unexpected problems %q", c.name, probs)
		case c.want != "" && (len(probs) != 1 || !strings.Contains(probs[0], c.want)):
			t.Errorf("%s: problems %q, want one containing %q", c.name, probs, c.want)
		}
	}
	if _, err := build(reg, rpcs, nil); err == nil || !strings.Contains(err.Error(), "break the gateway's rules") {
		t.Errorf("build with lint problems: err = %v", err)
	}
}

func TestBuildRefusesDuplicateURIs(t *testing.T) {
	ok := []lintCase{
		{name: "A", rule: get("/v1/test/a"), input: "Scalars"},
		{name: "B", rule: post("/v1/test/a", "*"), input: "Scalars"},
	}
	reg := testRegistry(t, ok)
	if _, err := build(reg, collect(reg), nil); err == nil || !strings.Contains(err.Error(), "routed twice") {
		t.Errorf("two RPCs on one uri: err = %v", err)
	}

	reg = testRegistry(t, ok[:1])
	raw := []rawRoute{{Name: "a", Path: "/v1/test/a", Methods: []string{"GET"}, Service: "test", Access: "bearer"}}
	if _, err := build(reg, collect(reg), raw); err == nil || !strings.Contains(err.Error(), "routed twice") {
		t.Errorf("a raw route on an RPC's uri: err = %v", err)
	}
	for _, bad := range []rawRoute{
		{Name: "both", Path: "/v1/test/x", Prefix: "/v1/test/y", Methods: []string{"GET"}, Service: "test", Access: "bearer"},
		{Name: "access", Path: "/v1/test/x", Methods: []string{"GET"}, Service: "test", Access: "internal"},
		{Name: "admin", Path: "/v1/test/x", Methods: []string{"GET"}, Service: "test", Access: "admin"},
	} {
		if _, err := build(reg, collect(reg), []rawRoute{bad}); err == nil {
			t.Errorf("raw route %s: accepted", bad.Name)
		}
	}
	prefix := []rawRoute{{Name: "bytes", Prefix: "/v1/test/bytes/", Methods: []string{"GET", "PUT"}, Service: "test", Access: "bearer"}}
	cfg, err := build(reg, collect(reg), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range cfg.Routes {
		if r.ID == "test.http.bytes" {
			found = r.URI == "/v1/test/bytes/*" && r.UpstreamID == "test-http"
		}
	}
	if !found {
		t.Errorf("prefix route: %+v", cfg.Routes)
	}
}

// The objects stay within APISIX's schema (apisix/schema_def.lua): ids,
// names, labels, descriptions and proto content have patterns and limits,
// and an object that breaks them is refused, by the Admin API and in
// standalone mode alike.
func TestAPISIXSchemaLimits(t *testing.T) {
	cfg, err := build(protoregistry.GlobalFiles, linked(t), rawRoutes)
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,64}$`)
	labelValue := regexp.MustCompile(`^\S{1,64}$`)
	methods := map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true,
		"HEAD": true, "OPTIONS": true, "CONNECT": true, "TRACE": true}
	name := func(kind, n string) {
		if n == "" || len(n) > 100 {
			t.Errorf("%s name %q: 1 to 100 bytes", kind, n)
		}
	}
	for _, r := range cfg.Routes {
		if !id.MatchString(r.ID) || !id.MatchString(r.UpstreamID) {
			t.Errorf("route %q / upstream_id %q: not an APISIX id", r.ID, r.UpstreamID)
		}
		name("route", r.Name)
		if r.URI == "" || len(r.URI) > 4096 {
			t.Errorf("route %s: uri length %d", r.ID, len(r.URI))
		}
		for k, v := range r.Labels {
			if !labelValue.MatchString(v) {
				t.Errorf("route %s: label %s=%q", r.ID, k, v)
			}
		}
		if len(r.Labels) > 16 {
			t.Errorf("route %s: %d labels, at most 16", r.ID, len(r.Labels))
		}
		for _, m := range r.Methods {
			if !methods[m] {
				t.Errorf("route %s: method %q", r.ID, m)
			}
		}
		if r.Plugins != nil && r.Plugins.GRPCTranscode != nil && !id.MatchString(r.Plugins.GRPCTranscode.ProtoID) {
			t.Errorf("route %s: proto_id %q", r.ID, r.Plugins.GRPCTranscode.ProtoID)
		}
	}
	for _, u := range cfg.Upstreams {
		if !id.MatchString(u.ID) {
			t.Errorf("upstream id %q", u.ID)
		}
		name("upstream", u.Name)
	}
	for _, p := range cfg.Protos {
		if !id.MatchString(p.ID) {
			t.Errorf("proto id %q", p.ID)
		}
		if len(p.Desc) > 256 {
			t.Errorf("proto %s: desc of %d bytes, at most 256", p.ID, len(p.Desc))
		}
		if n := len(p.Content); n == 0 || n > 1<<20 {
			t.Errorf("proto %s: content of %d bytes, APISIX takes 1 to %d", p.ID, n, 1<<20)
		}
	}
}
