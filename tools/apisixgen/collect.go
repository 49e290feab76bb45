package main

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	annotationsv1 "clouddrive/api/annotations/v1"
	"clouddrive/pkg/auth"
)

// pkgPrefix is the proto package prefix of the drive's own services.
const pkgPrefix = "clouddrive."

// An rpc is one method of a clouddrive service, with its annotations.
type rpc struct {
	svc    string // the service name: the package's second segment ("user")
	sd     protoreflect.ServiceDescriptor
	md     protoreflect.MethodDescriptor
	access annotationsv1.Access
	rule   *annotations.HttpRule // nil when the method has none
}

// operation is the gRPC full method name, "/pkg.Service/Method".
func (r rpc) operation() string {
	return "/" + string(r.sd.FullName()) + "/" + string(r.md.Name())
}

func (r rpc) streaming() bool { return r.md.IsStreamingClient() || r.md.IsStreamingServer() }

// svcOf returns the service name of a clouddrive proto package
// (clouddrive.user.v1 → user), or "" for any other package.
func svcOf(pkg protoreflect.FullName) string {
	s := string(pkg)
	if !strings.HasPrefix(s, pkgPrefix) {
		return ""
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(s, pkgPrefix), ".")
	return seg
}

// collect walks files for the services of clouddrive.* packages and returns
// every method, sorted by operation.
func collect(files *protoregistry.Files) []rpc {
	var out []rpc
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		svc := svcOf(fd.Package())
		if svc == "" {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				r := rpc{svc: svc, sd: sd, md: md, access: auth.MethodAccess(md)}
				if opts := md.Options(); opts != nil && proto.HasExtension(opts, annotations.E_Http) {
					r.rule = proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
				}
				out = append(out, r)
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].operation() < out[j].operation() })
	return out
}

// verbPath returns the HTTP method and path of a rule ("" for custom or none).
func verbPath(rule *annotations.HttpRule) (method, path string) {
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Put:
		return "PUT", p.Put
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	case *annotations.HttpRule_Custom:
		return "", p.Custom.GetPath()
	}
	return "", ""
}

// accessLabel is the access level as the routes' label value.
func accessLabel(a annotationsv1.Access) string {
	return strings.ToLower(strings.TrimPrefix(a.String(), "ACCESS_"))
}

// adminPrefix is where every ADMIN route lives, and only those.
const adminPrefix = "/v1/admin/"

// lintRPC returns what in one RPC's annotations APISIX's grpc-transcode
// cannot serve or the gateway's rules forbid, one problem per string.
//
// grpc-transcode (APISIX 3.x) fills the request message from the JSON body
// (POST/PUT/PATCH) or the query string (GET, DELETE) by top-level field
// name, and ignores the google.api.http rule itself. So: no path variables,
// GET/DELETE rules have no body, the others body "*", and the request
// message is flat. Its util.map_message recurses into every field whose type
// name starts with "." (messages and enums alike) and fills it from the same
// top-level table, so a nested message is filled wrongly and an enum field
// gets a table, which pb.encode rejects: enums are refused as well. A query
// string value is a string, never a list, unless the key is repeated, so a
// repeated field is refused in a GET/DELETE request.
func lintRPC(r rpc) []string {
	var probs []string
	bad := func(format string, args ...any) {
		probs = append(probs, r.operation()+": "+fmt.Sprintf(format, args...))
	}
	if r.rule == nil {
		if r.access != auth.Internal && !r.streaming() {
			bad("a %s unary RPC needs a google.api.http rule (or the INTERNAL access level)", accessLabel(r.access))
		}
		return probs
	}
	if r.access == auth.Internal {
		bad("an INTERNAL RPC must have no google.api.http rule")
	}
	if r.streaming() {
		bad("a streaming RPC cannot be transcoded; remove its google.api.http rule")
	}
	method, path := verbPath(r.rule)
	if method == "" {
		bad("only get, post, put, patch and delete rules are supported")
	}
	if len(r.rule.GetAdditionalBindings()) > 0 {
		bad("additional_bindings are not supported: one route per RPC")
	}
	if r.rule.GetResponseBody() != "" {
		bad("response_body is not supported: APISIX returns the whole reply")
	}
	if !strings.HasPrefix(path, "/") {
		bad("path %q must start with /", path)
	}
	if strings.ContainsAny(path, "{}*?#") {
		bad("path %q has path variables or wildcards; APISIX matches the literal uri", path)
	}
	query := method == "GET" || method == "DELETE"
	switch body := r.rule.GetBody(); {
	case query && body != "":
		bad("a %s rule must have no body (got %q)", method, body)
	case !query && method != "" && body != "*":
		bad(`a %s rule must have body "*" (got %q)`, method, body)
	}
	if admin := strings.HasPrefix(path, adminPrefix); admin != (r.access == auth.Admin) {
		if admin {
			bad("path %q is under %s but the RPC is %s, not ADMIN", path, adminPrefix, accessLabel(r.access))
		} else {
			bad("an ADMIN RPC must be under %s (got %q)", adminPrefix, path)
		}
	}
	in := r.md.Input()
	for i := 0; i < in.Fields().Len(); i++ {
		f := in.Fields().Get(i)
		switch {
		case f.IsMap():
			bad("request %s field %s is a map; requests must be flat", in.FullName(), f.Name())
		case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
			bad("request %s field %s is a message (%s); requests must be flat", in.FullName(), f.Name(), f.Message().FullName())
		case f.Kind() == protoreflect.EnumKind:
			bad("request %s field %s is an enum (%s); grpc-transcode cannot fill enums, use a string", in.FullName(), f.Name(), f.Enum().FullName())
		case f.IsList() && query:
			bad("request %s field %s is repeated in a %s request; a query string cannot carry a list", in.FullName(), f.Name(), method)
		}
	}
	return probs
}

// lint checks every RPC; see lintRPC.
func lint(rpcs []rpc) []string {
	var probs []string
	for _, r := range rpcs {
		probs = append(probs, lintRPC(r)...)
	}
	return probs
}
