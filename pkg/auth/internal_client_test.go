package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestInternalClientSignsTheOutgoingCall(t *testing.T) {
	ctx := InternalClient{Secret: "s3"}.Sign(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer x"))
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get(InternalHeader); len(got) != 1 || got[0] != "s3" {
		t.Fatalf("%s = %q, want the secret once", InternalHeader, got)
	}
	if md.Get("authorization")[0] != "Bearer x" {
		t.Fatal("signing dropped the caller's other metadata")
	}
}
