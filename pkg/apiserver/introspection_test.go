package apiserver_test

import (
	"context"
	"io"
	"testing"

	apimd "github.com/go-kratos/kratos/v2/api/metadata"
	channelzpb "google.golang.org/grpc/channelz/grpc_channelz_v1"
	"google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// The services grpc-go and kratos register on every server: health answers
// without a token (an orchestrator's probe has none); channelz, reflection
// and kratos's metadata name every service and peer, so they answer an
// administrator only. Before, any bearer token opened them and health
// demanded one.
func TestIntrospectionAdminOnlyHealthPublic(t *testing.T) {
	f := newGRPC(t, apiserver.Limits{})
	bg := context.Background()

	health := grpc_health_v1.NewHealthClient(f.conn)
	if r, err := health.Check(bg, &grpc_health_v1.HealthCheckRequest{}); err != nil || r.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health without a token: %v, %v", r, err)
	}

	calls := map[string]func(ctx context.Context) error{
		"channelz": func(ctx context.Context) error {
			_, err := channelzpb.NewChannelzClient(f.conn).GetServers(ctx, &channelzpb.GetServersRequest{})
			return err
		},
		"kratos metadata": func(ctx context.Context) error {
			_, err := apimd.NewMetadataClient(f.conn).ListServices(ctx, &apimd.ListServicesRequest{})
			return err
		},
		"reflection": func(ctx context.Context) error {
			s, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			// io.EOF: the server ended the stream already; Recv says why.
			if err := s.Send(&reflectionpb.ServerReflectionRequest{
				MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}}); err != nil && err != io.EOF {
				return err
			}
			_, err = s.Recv()
			return err
		},
	}
	for name, call := range calls {
		wantReason(t, name+" without a token", call(bg), 401, "UNAUTHENTICATED")
		wantReason(t, name+" as a user", call(f.as(bg, 7, auth.RoleUser)), 403, "FORBIDDEN")
		if err := call(f.as(bg, 1, auth.RoleAdmin)); err != nil {
			t.Fatalf("%s as an admin: %v", name, err)
		}
	}
}
