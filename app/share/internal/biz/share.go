package biz

import (
	"context"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/pkg/apierror"
)

// Share is a link to one file or folder of its owner.
type Share struct {
	ID int64
	// Token is the link's id and capability: 128 random bits.
	Token   string
	OwnerID int64
	NodeID  int64
	// Name, Folder and Size are the node's when the share was made (the
	// listings show the live node's when it still exists).
	Name   string
	Folder bool
	Size   int64
	// CodeHash is the keyed hash visitors' codes are compared with, and
	// CodeSealed the code encrypted for its owner; both empty: no code.
	CodeHash   []byte
	CodeSealed []byte
	// ExpiresAt nil: never.
	ExpiresAt *time.Time
	// MaxDownloads 0: no limit.
	MaxDownloads  int64
	RecipientID   int64
	RecipientName string
	Views         int64
	Downloads     int64
	Saves         int64
	RevokedAt     *time.Time
	// CodeFailures counts wrong codes in a row; MaxWrongCodes of them set
	// LockedUntil.
	CodeFailures int
	LockedUntil  *time.Time
	CreatedAt    time.Time
}

// HasCode reports whether opening the share needs an extraction code.
func (s *Share) HasCode() bool { return len(s.CodeHash) > 0 }

// State is why a share no longer opens; "" while it does.
type State string

// States, in the order they are checked.
const (
	StateActive       State = ""
	StateRevoked      State = "revoked"
	StateExpired      State = "expired"
	StateLimitReached State = "limit_reached"
	StateGone         State = "gone"
)

// stateAt is what the row alone says at now; the node and the owner (gone)
// are the other services' to say.
func (s *Share) stateAt(now time.Time) State {
	switch {
	case s.RevokedAt != nil:
		return StateRevoked
	case s.ExpiresAt != nil && !now.Before(*s.ExpiresAt):
		return StateExpired
	case s.MaxDownloads > 0 && s.Downloads >= s.MaxDownloads:
		return StateLimitReached
	}
	return StateActive
}

func stateErr(st State) error {
	switch st {
	case StateRevoked:
		return errRevoked()
	case StateExpired:
		return errExpired()
	case StateLimitReached:
		return errLimitReached()
	case StateGone:
		return errGone()
	}
	return nil
}

// ShareRepo stores shares. Owners reach theirs by owner id; visitors reach
// one by its token, which is the secret they were given. The counters are
// changed by the id of a share just read by one of those.
type ShareRepo interface {
	// Create stores s and sets its ID and CreatedAt.
	Create(ctx context.Context, s *Share) error
	// ByToken reads a share afresh (never from a cache).
	ByToken(ctx context.Context, token string) (*Share, error)
	// ListByOwner returns owner's shares, newest first, with ids below
	// before (0: from the newest).
	ListByOwner(ctx context.Context, owner, before int64, limit int) ([]*Share, error)
	// ListByRecipient returns the unrevoked shares sent to recipient, newest first.
	ListByRecipient(ctx context.Context, recipient, before int64, limit int) ([]*Share, error)
	// Revoke marks owner's share revoked at at; changed is false when it
	// already was. ErrNotFound when owner has no such share.
	Revoke(ctx context.Context, owner int64, token string, at time.Time) (s *Share, changed bool, err error)
	AddView(ctx context.Context, id int64) error
	// TakeDownload counts a download when the share is not revoked and its
	// limit allows one more, in one conditional statement: concurrent
	// downloads can never overshoot. false when it does not.
	TakeDownload(ctx context.Context, id int64) (bool, error)
	AddSave(ctx context.Context, id int64) error
	// CodeFailed counts a wrong code, atomically; the max-th in a row locks
	// the share until lockUntil and starts the count again.
	CodeFailed(ctx context.Context, id int64, max int, lockUntil time.Time) error
	// CodeSucceeded starts the count of wrong codes again.
	CodeSucceeded(ctx context.Context, id int64) error
}

// EventType is what happened to a share.
type EventType int

// Event types (api/events/v1 ShareEvent.Type).
const (
	EventCreated EventType = iota + 1
	EventSaved
	EventRevoked
)

// Event is a domain event, written to the outbox in the transaction of the
// change it describes, and relayed to Kafka from there.
type Event struct {
	ID            string
	Type          EventType
	Token         string
	OwnerID       int64
	RecipientID   int64
	ActorID       int64
	ActorNickname string
	OwnerNickname string
	Name          string
	OccurredAt    int64 // unix ms
}

// OutboxRepo appends events in the caller's transaction.
type OutboxRepo interface {
	Add(ctx context.Context, e *Event) error
}

func shareEvent(t EventType, s *Share, at time.Time) *Event {
	return &Event{ID: newEventID(), Type: t, Token: s.Token, OwnerID: s.OwnerID, RecipientID: s.RecipientID,
		Name: s.Name, OccurredAt: at.UnixMilli()}
}

// ShareView is a share as a listing shows it.
type ShareView struct {
	*Share
	// Code is the plain extraction code: set for the owner only.
	Code          string
	State         State
	OwnerNickname string
}

// NewShare is what CreateShare asks for.
type NewShare struct {
	NodeID int64
	// Code is 4 letters or digits, or empty; GenerateCode makes one when empty.
	Code         string
	GenerateCode bool
	// ExpiresIn 0: never.
	ExpiresIn time.Duration
	// MaxDownloads 0: no limit.
	MaxDownloads int64
	// Recipient is a username, or empty.
	Recipient string
}

// ShareUsecase is an owner's side of shares: create, list, revoke, and the
// shares others sent them.
type ShareUsecase struct {
	shares ShareRepo
	events OutboxRepo
	tx     Transaction
	files  FileService
	users  UserService
	keys   *Keys
	policy *Policy
	now    Clock
	log    *log.Helper
}

// NewShareUsecase builds the use case.
func NewShareUsecase(shares ShareRepo, events OutboxRepo, tx Transaction, files FileService, users UserService,
	keys *Keys, p *Policy, now Clock, logger log.Logger) *ShareUsecase {
	return &ShareUsecase{shares: shares, events: events, tx: tx, files: files, users: users, keys: keys, policy: p,
		now: now, log: log.NewHelper(log.With(logger, "module", "biz/share"))}
}

// URL is the path of a share's public page.
func (p *Policy) URL(token string) string { return p.URLPrefix + token }

func validCode(c string) bool {
	if len(c) != 4 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Create shares a live node of owner.
func (uc *ShareUsecase) Create(ctx context.Context, owner int64, in NewShare) (*ShareView, error) {
	code := NormalizeCode(in.Code)
	if code != "" && !validCode(code) {
		return nil, apierror.Invalid("code", "4 letters or digits")
	}
	n, err := uc.files.GetNode(ctx, owner, in.NodeID)
	if isNotFound(err) || (err == nil && n.Trashed) {
		return nil, errNodeNotFound()
	}
	if err != nil {
		return nil, err
	}
	me, err := uc.users.GetUser(ctx, owner)
	if err != nil {
		return nil, err
	}
	now := uc.now()
	s := &Share{OwnerID: owner, NodeID: n.ID, Name: n.Name, Folder: n.Folder, Size: n.Size, MaxDownloads: in.MaxDownloads}
	if name := strings.TrimSpace(in.Recipient); name != "" {
		r, err := uc.users.LookupUser(ctx, name)
		if isNotFound(err) || (err == nil && r.Disabled) {
			return nil, errRecipientNotFound(name)
		}
		if err != nil {
			return nil, err
		}
		s.RecipientID, s.RecipientName = r.ID, r.Username
	}
	if in.ExpiresIn > 0 {
		at := now.Add(in.ExpiresIn).Truncate(time.Second)
		s.ExpiresAt = &at
	}
	if s.Token, err = newToken(); err != nil {
		return nil, err
	}
	if code == "" && in.GenerateCode {
		if code, err = newCode(); err != nil {
			return nil, err
		}
	}
	if code != "" {
		s.CodeHash = uc.keys.hashCode(s.Token, code)
		if s.CodeSealed, err = uc.keys.sealCode(s.Token, code); err != nil {
			return nil, err
		}
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.shares.Create(ctx, s); err != nil {
			return err
		}
		e := shareEvent(EventCreated, s, now)
		e.OwnerNickname = me.DisplayName()
		return uc.events.Add(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "share created", "owner", owner, "share", s.ID, "node", s.NodeID,
		"has_code", code != "", "recipient", s.RecipientID)
	return &ShareView{Share: s, Code: code, OwnerNickname: me.DisplayName()}, nil
}

// Page is a page of shares; Next is the id to continue below (0: the end).
type Page struct {
	Items []*ShareView
	Next  int64
}

const (
	defaultPageSize = 50
	maxPageSize     = 1000
	// fanOut bounds the calls to other services one request makes at once.
	fanOut = 8
)

func pageSize(n int) int {
	if n <= 0 {
		return defaultPageSize
	}
	return min(n, maxPageSize)
}

func page(ss []*Share, limit int) ([]*Share, int64) {
	if len(ss) > limit {
		return ss[:limit], ss[limit-1].ID
	}
	return ss, 0
}

// List is owner's shares with their counters, codes and states.
func (uc *ShareUsecase) List(ctx context.Context, owner, before int64, limit int) (*Page, error) {
	limit = pageSize(limit)
	ss, err := uc.shares.ListByOwner(ctx, owner, before, limit+1)
	if err != nil {
		return nil, err
	}
	ss, next := page(ss, limit)
	out := &Page{Items: make([]*ShareView, len(ss)), Next: next}
	now := uc.now()
	err = parallel(len(ss), fanOut, func(i int) error {
		v := &ShareView{Share: ss[i], State: ss[i].stateAt(now)}
		out.Items[i] = v
		if ss[i].HasCode() {
			code, err := uc.keys.openCode(ss[i].Token, ss[i].CodeSealed)
			if err != nil {
				// Another secret than the one it was sealed with: the
				// code no longer matches either; say so in the log only.
				uc.log.WithContext(ctx).Warnw("msg", "cannot decrypt a share's code", "share", ss[i].ID)
			}
			v.Code = code
		}
		if v.State == StateActive {
			return uc.refresh(ctx, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// refresh marks v gone when its node is no longer live, and shows the
// node's current name and size otherwise.
func (uc *ShareUsecase) refresh(ctx context.Context, v *ShareView) error {
	n, err := uc.files.GetNode(ctx, v.OwnerID, v.NodeID)
	if isNotFound(err) || (err == nil && n.Trashed) {
		v.State = StateGone
		return nil
	}
	if err != nil {
		return err
	}
	s := *v.Share
	s.Name, s.Size, s.Folder = n.Name, n.Size, n.Folder
	v.Share = &s
	return nil
}

// Received is the shares sent to me by name, without their codes.
func (uc *ShareUsecase) Received(ctx context.Context, me, before int64, limit int) (*Page, error) {
	limit = pageSize(limit)
	ss, err := uc.shares.ListByRecipient(ctx, me, before, limit+1)
	if err != nil {
		return nil, err
	}
	ss, next := page(ss, limit)
	// One lookup per owner: their nickname, and whether they are disabled.
	var ownerIDs []int64
	owners := map[int64]*User{}
	for _, s := range ss {
		if _, ok := owners[s.OwnerID]; !ok {
			owners[s.OwnerID] = nil
			ownerIDs = append(ownerIDs, s.OwnerID)
		}
	}
	found := make([]*User, len(ownerIDs))
	err = parallel(len(ownerIDs), fanOut, func(i int) error {
		u, err := uc.users.GetUser(ctx, ownerIDs[i])
		if isNotFound(err) {
			return nil
		}
		found[i] = u
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, id := range ownerIDs {
		owners[id] = found[i]
	}
	out := &Page{Items: make([]*ShareView, len(ss)), Next: next}
	now := uc.now()
	err = parallel(len(ss), fanOut, func(i int) error {
		v := &ShareView{Share: ss[i], State: ss[i].stateAt(now)}
		out.Items[i] = v
		o := owners[ss[i].OwnerID]
		if o != nil {
			v.OwnerNickname = o.DisplayName()
		}
		if v.State != StateActive {
			return nil
		}
		if o == nil || o.Disabled {
			v.State = StateGone
			return nil
		}
		return uc.refresh(ctx, v)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Revoke cancels owner's share for good. Anybody else's token is "not found".
func (uc *ShareUsecase) Revoke(ctx context.Context, owner int64, token string) error {
	now := uc.now()
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		s, changed, err := uc.shares.Revoke(ctx, owner, token, now)
		if err != nil || !changed {
			return err
		}
		return uc.events.Add(ctx, shareEvent(EventRevoked, s, now))
	})
	if isNotFound(err) {
		return errShareNotFound()
	}
	return err
}
