package auth

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"

	commonv1 "clouddrive/api/common/v1"
)

// InternalHeader carries the shared secret of service-to-service calls.
const InternalHeader = "X-Clouddrive-Internal"

// Options configure the server middleware.
type Options struct {
	Verifier    *Verifier
	Revocations Revocations // optional
	// InternalSecret admits ACCESS_INTERNAL calls that present it; empty
	// refuses them all.
	InternalSecret string
	Logger         log.Logger
}

// Server is the middleware of every gRPC and HTTP server: it checks the
// bearer token the operation's access level asks for and puts the caller in
// the context.
func Server(o Options) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return nil, commonv1.ErrorUnauthenticated("no transport")
			}
			ctx, err := o.Admit(ctx, tr.Operation(), tr.RequestHeader().Get)
			if err != nil {
				return nil, err
			}
			return next(ctx, req)
		}
	}
}

// Admit applies operation's access level to a request whose headers header
// reads, and returns ctx with the caller when there is one. Raw HTTP routes
// and gRPC streams, which kratos middleware does not wrap, call it too.
func (o Options) Admit(ctx context.Context, operation string, header func(string) string) (context.Context, error) {
	access := AccessOf(operation)
	if access == Internal {
		got := header(InternalHeader)
		if o.InternalSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(o.InternalSecret)) != 1 {
			return ctx, commonv1.ErrorForbidden("internal operation")
		}
		return ctx, nil
	}
	token := bearer(header("Authorization"))
	if token == "" {
		if access == Public {
			return ctx, nil
		}
		return ctx, commonv1.ErrorUnauthenticated("a bearer access token is required")
	}
	c, err := o.Verifier.Verify(token)
	if err != nil {
		err = commonv1.ErrorUnauthenticated("the access token is invalid or expired")
	} else {
		err = o.checkRevoked(ctx, c)
	}
	if err != nil {
		if access == Public {
			// A stale token must not break a public call such as login.
			return ctx, nil
		}
		return ctx, err
	}
	if access == Admin && !c.IsAdmin() {
		return ctx, commonv1.ErrorForbidden("an administrator is required")
	}
	return NewContext(ctx, c), nil
}

func (o Options) checkRevoked(ctx context.Context, c Caller) error {
	if o.Revocations == nil {
		return nil
	}
	r, err := o.Revocations.Get(ctx, c.UserID)
	if err != nil {
		// Fail open: an outage of the store must not sign everybody out;
		// the token still expires on its own, and what a revoked session
		// must never do (set a password) is checked against the database.
		log.NewHelper(log.With(o.Logger, "module", "auth")).WithContext(ctx).Warnw("msg", "revocation lookup failed", "err", err)
		return nil
	}
	if r.Voids(c) {
		return commonv1.ErrorTokenRevoked("the access token has been revoked")
	}
	return nil
}

// CheckSignedURL refuses a URL signed for uid at signedAt when the user's
// tokens were revoked since (disabled, password changed, email claimed,
// signed out everywhere). Byte routes call it on every request. Unlike
// tokens it fails closed: a URL is cheap to sign again.
func (o Options) CheckSignedURL(ctx context.Context, uid int64, signedAt time.Time) error {
	if o.Revocations == nil {
		return nil
	}
	r, err := o.Revocations.Get(ctx, uid)
	if err != nil {
		return err
	}
	if r.VoidsSignedAt(signedAt) {
		return commonv1.ErrorForbidden("this link was revoked with its owner's sessions")
	}
	return nil
}

func bearer(h string) string {
	const p = "bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}
