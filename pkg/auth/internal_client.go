package auth

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// InternalClient signs the calls a service makes to another service's internal
// API with the shared internal secret (InternalHeader), which the callee's
// middleware admits for ACCESS_INTERNAL methods only. Every client of an
// internal API embeds one rather than attaching the header itself.
type InternalClient struct{ Secret string }

// Sign returns ctx carrying the internal secret to the next outgoing call.
func (i InternalClient) Sign(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, InternalHeader, i.Secret)
}
