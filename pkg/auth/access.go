package auth

import (
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	annotationsv1 "clouddrive/api/annotations/v1"
)

// Access is the access level of an RPC, from its (access) annotation.
type Access = annotationsv1.Access

// Access levels.
const (
	Bearer   = annotationsv1.Access_ACCESS_BEARER
	Public   = annotationsv1.Access_ACCESS_PUBLIC
	Admin    = annotationsv1.Access_ACCESS_ADMIN
	Internal = annotationsv1.Access_ACCESS_INTERNAL
)

var (
	accessOnce sync.Once
	accessOf   map[string]Access
)

// AccessOf returns the access level of an operation ("/pkg.Service/Method"),
// read from the annotations of every proto file linked into the binary. An
// unknown operation needs a bearer token: the safe default.
func AccessOf(operation string) Access {
	if a, ok := infraAccess(operation); ok {
		return a
	}
	accessOnce.Do(func() { accessOf = Operations() })
	if a, ok := accessOf[operation]; ok {
		return a
	}
	return Bearer
}

// Operations maps every RPC linked into the binary to its access level.
func Operations() map[string]Access {
	m := map[string]Access{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			s := svcs.Get(i)
			for j := 0; j < s.Methods().Len(); j++ {
				md := s.Methods().Get(j)
				m["/"+string(s.FullName())+"/"+string(md.Name())] = MethodAccess(md)
			}
		}
		return true
	})
	return m
}

// MethodAccess reads the access annotation of one method.
func MethodAccess(md protoreflect.MethodDescriptor) Access {
	opts := md.Options()
	if opts == nil {
		return Bearer
	}
	return proto.GetExtension(opts, annotationsv1.E_Access).(Access)
}

// infraAccess decides the services that grpc-go and kratos register on
// every gRPC server, whose methods carry no annotation. Health is public, so
// an orchestrator's probe needs no token; everything else of theirs
// (channelz, reflection, kratos's metadata, CSDS) names every service and
// peer, so it is for administrators only.
func infraAccess(operation string) (Access, bool) {
	switch {
	case strings.HasPrefix(operation, "/grpc.health.v1.Health/"):
		return Public, true
	case strings.HasPrefix(operation, "/grpc."), strings.HasPrefix(operation, "/kratos."),
		strings.HasPrefix(operation, "/envoy."), strings.HasPrefix(operation, "/xds."):
		return Admin, true
	}
	return 0, false
}
