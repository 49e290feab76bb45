package main

import (
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// (d) Each proto object's content decodes back into a self-contained
// FileDescriptorSet (every import inside it, dependencies first, as protoc
// --include_imports writes it) that holds every routed service and method.
func TestProtoContentDecodes(t *testing.T) {
	cfg, err := build(protoregistry.GlobalFiles, linked(t), rawRoutes)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Protos) == 0 {
		t.Fatal("no proto objects")
	}
	sets := map[string]*protoregistry.Files{}
	for _, p := range cfg.Protos {
		raw, err := base64.StdEncoding.DecodeString(p.Content)
		if err != nil {
			t.Fatalf("proto %s: content is not standard base64: %v", p.ID, err)
		}
		set := &descriptorpb.FileDescriptorSet{}
		if err := proto.Unmarshal(raw, set); err != nil {
			t.Fatalf("proto %s: not a FileDescriptorSet: %v", p.ID, err)
		}
		seen := map[string]bool{}
		for _, f := range set.File {
			for _, dep := range f.Dependency {
				if !seen[dep] {
					t.Errorf("proto %s: %s comes before its import %s", p.ID, f.GetName(), dep)
				}
			}
			if seen[f.GetName()] {
				t.Errorf("proto %s: %s twice", p.ID, f.GetName())
			}
			seen[f.GetName()] = true
			if f.SourceCodeInfo != nil {
				t.Errorf("proto %s: %s carries source info", p.ID, f.GetName())
			}
		}
		files, err := protodesc.NewFiles(set) // fails on any import missing from the set
		if err != nil {
			t.Fatalf("proto %s: not self-contained: %v", p.ID, err)
		}
		sets[p.ID] = files
	}
	for _, r := range cfg.Routes {
		if r.Plugins == nil || r.Plugins.GRPCTranscode == nil {
			continue
		}
		gt := r.Plugins.GRPCTranscode
		files := sets[gt.ProtoID]
		if files == nil {
			t.Errorf("route %s: no proto %s", r.ID, gt.ProtoID)
			continue
		}
		d, err := files.FindDescriptorByName(protoreflect.FullName(gt.Service))
		if err != nil {
			t.Errorf("route %s: proto %s has no service %s", r.ID, gt.ProtoID, gt.Service)
			continue
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			t.Errorf("route %s: %s is a %T, not a service", r.ID, gt.Service, d)
			continue
		}
		md := sd.Methods().ByName(protoreflect.Name(gt.Method))
		if md == nil {
			t.Errorf("route %s: service %s has no method %s", r.ID, gt.Service, gt.Method)
			continue
		}
		if md.Input().IsPlaceholder() || md.Output().IsPlaceholder() {
			t.Errorf("route %s: %s's messages are not in proto %s", r.ID, gt.Method, gt.ProtoID)
		}
	}
}

var serviceDecl = regexp.MustCompile(`(?m)^service\s+\w+`)

// Every proto under api/ that declares a service is linked into the
// generator (services.go) or listed, with a reason, in notYetRouted.
func TestEveryServiceProtoIsLinked(t *testing.T) {
	api := filepath.Join(moduleRoot(t), "api")
	onDisk := map[string]bool{}
	err := filepath.WalkDir(api, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".proto" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !serviceDecl.Match(b) {
			return nil
		}
		rel, _ := filepath.Rel(api, p)
		rel = filepath.ToSlash(rel)
		onDisk[rel] = true
		_, linkErr := protoregistry.GlobalFiles.FindFileByPath(rel)
		_, pending := notYetRouted[rel]
		switch {
		case linkErr != nil && !pending:
			t.Errorf("api/%s declares a service but is not linked: add its package's blank import to services.go", rel)
		case linkErr == nil && pending:
			t.Errorf("api/%s is linked; remove it from notYetRouted", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) == 0 {
		t.Fatal("no service protos found under api/")
	}
	for rel, why := range notYetRouted {
		if _, err := os.Stat(filepath.Join(api, filepath.FromSlash(rel))); err != nil {
			t.Logf("notYetRouted lists api/%s, which is not there (yet)", rel)
		} else if !onDisk[rel] {
			t.Errorf("notYetRouted lists api/%s, which declares no service", rel)
		}
		if strings.TrimSpace(why) == "" {
			t.Errorf("notYetRouted: api/%s has no reason", rel)
		}
	}
}

// Each raw route's path is the one its service registers: the Go constant
// named in its Source still has that value.
func TestRawRoutesMatchTheirSource(t *testing.T) {
	root := moduleRoot(t)
	for _, rr := range rawRoutes {
		file, name, ok := strings.Cut(rr.Source, ":")
		if !ok {
			t.Errorf("raw route %s: Source %q is not file.go:Constant", rr.Name, rr.Source)
			continue
		}
		want := rr.Path
		if want == "" {
			want = rr.Prefix
		}
		got, err := goStringConst(filepath.Join(root, filepath.FromSlash(file)), name)
		if err != nil {
			t.Errorf("raw route %s: %v", rr.Name, err)
			continue
		}
		if got != want {
			t.Errorf("raw route %s: %s = %q, the table has %q", rr.Name, rr.Source, got, want)
		}
	}
}

// goStringConst returns the value of a string constant declared in a Go file.
func goStringConst(path, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if id.Name != name || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return "", &os.PathError{Op: "const " + name, Path: path, Err: fs.ErrInvalid}
				}
				return strconv.Unquote(lit.Value)
			}
		}
	}
	return "", &os.PathError{Op: "const " + name, Path: path, Err: fs.ErrNotExist}
}
