package ratelimit

import (
	"context"
	"time"
)

// Charge charges one hit to key under r and, when the limit is spent,
// answers refused(retryAfter): each service turns a refusal into its own
// reason (RATE_LIMITED with its metadata, a WebDAV 429). A rule with no
// limit charges nothing, so a limit can be switched off in configuration.
func Charge(ctx context.Context, l Limiter, key string, r Rule, refused func(retryAfter time.Duration) error) error {
	if r.Limit <= 0 {
		return nil
	}
	d, err := l.Allow(ctx, key, r)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return refused(d.RetryAfter)
	}
	return nil
}
