package main

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Ports of every service, as in docker-compose.yaml.
const (
	grpcPort = 9000
	httpPort = 8000
)

// config is the whole gateway configuration: what apisix.yaml holds and what
// load.sh sends to the Admin API. Field order is output order.
type config struct {
	Routes      []route      `json:"routes"`
	Upstreams   []upstream   `json:"upstreams"`
	Protos      []protoObj   `json:"protos"`
	GlobalRules []globalRule `json:"global_rules"`
}

type route struct {
	ID         string            `json:"id"`
	URI        string            `json:"uri"`
	Methods    []string          `json:"methods,omitempty"` // none: every method (WebDAV's PROPFIND, MKCOL... are not in APISIX's list)
	Name       string            `json:"name"`
	Labels     map[string]string `json:"labels"`
	UpstreamID string            `json:"upstream_id"`
	// Priority orders routes whose uris both match (higher first); the
	// SPA's catch-all is below every other.
	Priority int      `json:"priority,omitempty"`
	Plugins  *plugins `json:"plugins,omitempty"`
}

type plugins struct {
	GRPCTranscode *grpcTranscode `json:"grpc-transcode,omitempty"`
	LimitReq      *limitReq      `json:"limit-req,omitempty"`
	PostFunction  *postFunction  `json:"serverless-post-function,omitempty"`
}

type grpcTranscode struct {
	ProtoID          string   `json:"proto_id"`
	Service          string   `json:"service"`
	Method           string   `json:"method"`
	PbOption         []string `json:"pb_option,omitempty"`
	ShowStatusInBody bool     `json:"show_status_in_body,omitempty"`
	StatusDetailType string   `json:"status_detail_type,omitempty"`
}

// postFunction is APISIX's serverless-post-function: Lua run after the
// route's other plugins in one phase.
type postFunction struct {
	Phase     string   `json:"phase"`
	Functions []string `json:"functions"`
}

type upstream struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Type   string         `json:"type"`
	Scheme string         `json:"scheme"`
	Nodes  map[string]int `json:"nodes"`
}

type protoObj struct {
	ID      string `json:"id"`
	Desc    string `json:"desc"`
	Content string `json:"content"`
}

func grpcUpstreamID(svc string) string { return svc + "-grpc" }
func httpUpstreamID(svc string) string { return svc + "-http" }

// build turns the RPCs and the raw routes into the gateway configuration.
// Routes are sorted by uri, upstreams and protos by id. It refuses what the
// gateway cannot serve: lint problems, a uri routed twice.
func build(files *protoregistry.Files, rpcs []rpc, raws []rawRoute) (*config, error) {
	if probs := lint(rpcs); len(probs) > 0 {
		return nil, fmt.Errorf("the protos break the gateway's rules:\n  %s", strings.Join(probs, "\n  "))
	}
	cfg := &config{}
	grpcSvcs, httpSvcs := map[string]bool{}, map[string]bool{}
	for _, r := range rpcs {
		if r.rule == nil {
			continue
		}
		method, path := verbPath(r.rule)
		cfg.Routes = append(cfg.Routes, route{
			ID:         r.svc + "." + string(r.sd.Name()) + "." + string(r.md.Name()),
			URI:        path,
			Methods:    []string{method},
			Name:       r.operation(),
			Labels:     map[string]string{"access": accessLabel(r.access), "service": r.svc},
			UpstreamID: grpcUpstreamID(r.svc),
			Plugins: &plugins{
				GRPCTranscode: &grpcTranscode{
					ProtoID: r.svc, Service: string(r.sd.FullName()), Method: string(r.md.Name()),
					PbOption: transcodeOptions, ShowStatusInBody: true, StatusDetailType: errorDetailType,
				},
				PostFunction: &postFunction{Phase: "body_filter", Functions: []string{transcodeLua(int64Paths(r.md.Output()))}},
			},
		})
		if l, ok := throttled[path]; ok {
			cfg.Routes[len(cfg.Routes)-1].Plugins.LimitReq = l.filled()
		}
		grpcSvcs[r.svc] = true
	}
	for _, rr := range raws {
		uri, name := rr.Path, strings.Join(rr.Methods, ",")+" "+rr.Path
		if (rr.Path == "") == (rr.Prefix == "") {
			return nil, fmt.Errorf("raw route %s: set exactly one of Path and Prefix", rr.Name)
		}
		if rr.Prefix != "" {
			uri, name = strings.TrimSuffix(rr.Prefix, "/")+"/*", strings.Join(rr.Methods, ",")+" "+rr.Prefix+"*"
		}
		if len(rr.Methods) == 0 {
			name = "ANY" + name
		}
		switch rr.Access {
		case "public", "bearer", "admin":
		default:
			return nil, fmt.Errorf("raw route %s: access %q is not public, bearer or admin", rr.Name, rr.Access)
		}
		if (rr.Access == "admin") != strings.HasPrefix(uri, adminPrefix) {
			return nil, fmt.Errorf("raw route %s: admin routes, and only those, live under %s", rr.Name, adminPrefix)
		}
		cfg.Routes = append(cfg.Routes, route{
			ID:         rr.Service + ".http." + rr.Name,
			URI:        uri,
			Methods:    append([]string(nil), rr.Methods...),
			Name:       name,
			Labels:     map[string]string{"access": rr.Access, "service": rr.Service},
			UpstreamID: httpUpstreamID(rr.Service),
		})
		if l, ok := throttled[uri]; ok {
			cfg.Routes[len(cfg.Routes)-1].Plugins = &plugins{LimitReq: l.filled()}
		}
		httpSvcs[rr.Service] = true
	}
	cfg.Routes = append(cfg.Routes, spaRoute())
	sort.Slice(cfg.Routes, func(i, j int) bool { return cfg.Routes[i].URI < cfg.Routes[j].URI })
	seenURI, seenID := map[string]string{}, map[string]bool{}
	for _, r := range cfg.Routes {
		if prev, ok := seenURI[r.URI]; ok {
			return nil, fmt.Errorf("uri %s is routed twice: %s and %s", r.URI, prev, r.Name)
		}
		seenURI[r.URI] = r.Name
		if seenID[r.ID] {
			return nil, fmt.Errorf("route id %s is used twice", r.ID)
		}
		seenID[r.ID] = true
	}

	for _, svc := range sortedKeys(grpcSvcs) {
		cfg.Upstreams = append(cfg.Upstreams, upstream{
			ID: grpcUpstreamID(svc), Name: svc + " gRPC", Type: "roundrobin", Scheme: "grpc",
			Nodes: map[string]int{fmt.Sprintf("%s:%d", svc, grpcPort): 1},
		})
		set, err := descriptorSet(files, svc)
		if err != nil {
			return nil, err
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
		if err != nil {
			return nil, fmt.Errorf("proto %s: %w", svc, err)
		}
		cfg.Protos = append(cfg.Protos, protoObj{
			ID:      svc,
			Desc:    fmt.Sprintf("clouddrive %s: FileDescriptorSet of %d files, generated by tools/apisixgen", svc, len(set.File)),
			Content: base64.StdEncoding.EncodeToString(b),
		})
	}
	for _, svc := range sortedKeys(httpSvcs) {
		cfg.Upstreams = append(cfg.Upstreams, upstream{
			ID: httpUpstreamID(svc), Name: svc + " HTTP", Type: "roundrobin", Scheme: "http",
			Nodes: map[string]int{fmt.Sprintf("%s:%d", svc, httpPort): 1},
		})
	}
	cfg.Upstreams = append(cfg.Upstreams, webUpstream())
	sort.Slice(cfg.Upstreams, func(i, j int) bool { return cfg.Upstreams[i].ID < cfg.Upstreams[j].ID })
	cfg.GlobalRules = globalRules()
	return cfg, nil
}

// descriptorSet returns the FileDescriptorSet of the service's files (those
// of its clouddrive.<svc>.* packages that declare a service) and everything
// they import, transitively: what `protoc --include_imports
// --descriptor_set_out` writes, dependencies before their dependents.
func descriptorSet(files *protoregistry.Files, svc string) (*descriptorpb.FileDescriptorSet, error) {
	var roots []protoreflect.FileDescriptor
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if svcOf(fd.Package()) == svc && fd.Services().Len() > 0 {
			roots = append(roots, fd)
		}
		return true
	})
	sort.Slice(roots, func(i, j int) bool { return roots[i].Path() < roots[j].Path() })
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor) error
	visit = func(fd protoreflect.FileDescriptor) error {
		if seen[fd.Path()] {
			return nil
		}
		seen[fd.Path()] = true
		if fd.IsPlaceholder() {
			return fmt.Errorf("proto %s: %s is imported but not linked into the generator", svc, fd.Path())
		}
		for i := 0; i < fd.Imports().Len(); i++ {
			if err := visit(fd.Imports().Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		fdp := protodesc.ToFileDescriptorProto(fd)
		fdp.SourceCodeInfo = nil
		set.File = append(set.File, fdp)
		return nil
	}
	// The error detail kratos sends, so that grpc-transcode can decode it.
	detail, err := files.FindDescriptorByName(errorDetailType)
	if err != nil {
		detail, err = protoregistry.GlobalFiles.FindDescriptorByName(errorDetailType)
	}
	if err != nil {
		return nil, fmt.Errorf("proto %s: %s is not linked into the generator: %w", svc, errorDetailType, err)
	}
	roots = append(roots, detail.ParentFile())
	for _, fd := range roots {
		if err := visit(fd); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
