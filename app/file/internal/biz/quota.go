package biz

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"
)

// Quota is a user's limit and what they use, in bytes. Trashed files count
// until they are purged.
type Quota struct {
	OwnerID int64
	Used    int64
	Limit   int64
}

// QuotaRepo stores quotas. A missing row is created with the default limit.
type QuotaRepo interface {
	Get(ctx context.Context, owner int64, defaultLimit int64) (*Quota, error)
	// Charge adds delta to used only if it stays within the limit, in one
	// conditional statement: concurrent charges can never overshoot.
	// ErrQuotaExceeded otherwise (with the quota as it stood).
	Charge(ctx context.Context, owner, delta, defaultLimit int64) (*Quota, error)
	Release(ctx context.Context, owner, delta int64) error
	SetLimit(ctx context.Context, owner, limit, defaultLimit int64) (*Quota, error)
}

// QuotaUsecase is usage and limits.
type QuotaUsecase struct {
	repo   QuotaRepo
	events OutboxRepo
	policy *Policy
	now    Clock
	log    *log.Helper
}

// NewQuotaUsecase builds the use case.
func NewQuotaUsecase(repo QuotaRepo, events OutboxRepo, p *Policy, now Clock, logger log.Logger) *QuotaUsecase {
	return &QuotaUsecase{repo: repo, events: events, policy: p, now: now, log: log.NewHelper(log.With(logger, "module", "biz/quota"))}
}

// Usage is the user's quota.
func (uc *QuotaUsecase) Usage(ctx context.Context, owner int64) (*Quota, error) {
	return uc.repo.Get(ctx, owner, uc.policy.DefaultQuota)
}

// SetLimit changes a user's limit (admins). A limit below the usage is
// allowed: nothing is deleted, new files are refused until it fits.
func (uc *QuotaUsecase) SetLimit(ctx context.Context, owner, limit int64) (*Quota, error) {
	return uc.repo.SetLimit(ctx, owner, limit, uc.policy.DefaultQuota)
}

// charge takes bytes from the quota inside the caller's transaction and
// raises QUOTA_WARNING when usage crosses the warning line.
func (uc *QuotaUsecase) charge(ctx context.Context, owner, bytes int64) error {
	if bytes == 0 {
		return nil
	}
	q, err := uc.repo.Charge(ctx, owner, bytes, uc.policy.DefaultQuota)
	if errors.Is(err, ErrQuotaExceeded) {
		return errQuota(q.Used, q.Limit, bytes)
	}
	if err != nil {
		return err
	}
	line := int64(float64(q.Limit) * uc.policy.QuotaWarnRatio)
	if q.Limit > 0 && uc.policy.QuotaWarnRatio > 0 && q.Used-bytes < line && q.Used >= line {
		return uc.events.Add(ctx, &Event{ID: newEventID(), Type: EventQuotaWarning, OwnerID: owner,
			UsedBytes: q.Used, LimitBytes: q.Limit, OccurredAt: uc.now().UnixMilli()})
	}
	return nil
}
