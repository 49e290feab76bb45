package biz

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/pkg/ratelimit"
)

// AccessUsecase is a visitor's side of a share: open it with its code, then
// browse, download and save with the short-lived share access token. Every
// call reads the share afresh and asks the user and file services again
// (revoked, expired, limit reached, owner disabled, node trashed or purged):
// nothing is served from a state cached at open time.
type AccessUsecase struct {
	shares  ShareRepo
	events  OutboxRepo
	tx      Transaction
	files   FileService
	storage StorageService
	users   UserService
	limiter ratelimit.Limiter
	keys    *Keys
	policy  *Policy
	now     Clock
	log     *log.Helper
}

// NewAccessUsecase builds the use case.
func NewAccessUsecase(shares ShareRepo, events OutboxRepo, tx Transaction, files FileService, storage StorageService,
	users UserService, limiter ratelimit.Limiter, keys *Keys, p *Policy, now Clock, logger log.Logger) *AccessUsecase {
	return &AccessUsecase{shares: shares, events: events, tx: tx, files: files, storage: storage, users: users,
		limiter: limiter, keys: keys, policy: p, now: now, log: log.NewHelper(log.With(logger, "module", "biz/access"))}
}

// Visitor is who opens a share: a client IP, and a user when signed in.
type Visitor struct {
	UserID int64
	IP     string
}

// Opened is a share opened with its code.
type Opened struct {
	// AccessToken is sent as X-Share-Token by the calls that follow.
	AccessToken string
	ExpiresIn   time.Duration
	View        *ShareView
}

// Open checks the share and its extraction code, counts a view, and issues
// a share access token. The share's owner and its recipient, signed in,
// need no code.
func (uc *AccessUsecase) Open(ctx context.Context, token, code string, v Visitor) (*Opened, error) {
	s, err := uc.shares.ByToken(ctx, token)
	if isNotFound(err) {
		return nil, errShareNotFound()
	}
	if err != nil {
		return nil, err
	}
	if err := stateErr(s.stateAt(uc.now())); err != nil {
		return nil, err
	}
	trusted := v.UserID != 0 && (v.UserID == s.OwnerID || v.UserID == s.RecipientID)
	if s.HasCode() && !trusted {
		if err := uc.checkCode(ctx, s, code, v.IP); err != nil {
			return nil, err
		}
	}
	n, owner, err := uc.live(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := uc.shares.AddView(ctx, s.ID); err != nil {
		return nil, err
	}
	now := uc.now()
	shown := *s
	shown.Views++
	shown.Name, shown.Size, shown.Folder = n.Name, n.Size, n.Folder
	return &Opened{
		AccessToken: uc.keys.signAccess(s.Token, now, now.Add(uc.policy.AccessTTL)),
		ExpiresIn:   uc.policy.AccessTTL,
		View:        &ShareView{Share: &shown, OwnerNickname: owner.DisplayName()},
	}, nil
}

// checkCode charges the limiters, refuses a locked share, and only then
// compares the code, in constant time.
func (uc *AccessUsecase) checkCode(ctx context.Context, s *Share, code, ip string) error {
	if NormalizeCode(code) == "" {
		return errCodeRequired() // the page asking for the code: no attempt made
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "share:code:ip:"+ip+":"+s.Token, uc.policy.OpenPerIP, rateLimited); err != nil {
		return err
	}
	if err := ratelimit.Charge(ctx, uc.limiter, "share:code:share:"+s.Token, uc.policy.OpenPerShare, rateLimited); err != nil {
		return err
	}
	now := uc.now()
	if s.LockedUntil != nil && now.Before(*s.LockedUntil) {
		return rateLimited(s.LockedUntil.Sub(now))
	}
	if !uc.keys.codeMatches(s.Token, code, s.CodeHash) {
		if err := uc.shares.CodeFailed(ctx, s.ID, uc.policy.MaxWrongCodes, now.Add(uc.policy.Cooldown)); err != nil {
			return err
		}
		uc.log.WithContext(ctx).Infow("msg", "wrong extraction code", "share", s.ID, "ip", ip, "in_a_row", s.CodeFailures+1)
		return errCodeWrong()
	}
	if s.CodeFailures > 0 {
		return uc.shares.CodeSucceeded(ctx, s.ID)
	}
	return nil
}

// live asks the other services whether the share still stands: its owner
// exists and is not disabled, its node exists and is not in the trash.
func (uc *AccessUsecase) live(ctx context.Context, s *Share) (*Node, *User, error) {
	owner, err := uc.users.GetUser(ctx, s.OwnerID)
	if isNotFound(err) || (err == nil && owner.Disabled) {
		return nil, nil, errGone()
	}
	if err != nil {
		return nil, nil, err
	}
	n, err := uc.files.GetNode(ctx, s.OwnerID, s.NodeID)
	if isNotFound(err) || (err == nil && n.Trashed) {
		return nil, nil, errGone()
	}
	if err != nil {
		return nil, nil, err
	}
	return n, owner, nil
}

// access is a share reached with an access token, checked again in full.
type access struct {
	share *Share
	root  *Node
	owner *User
}

func (uc *AccessUsecase) authorize(ctx context.Context, accessToken string) (*access, error) {
	token, ok := uc.keys.verifyAccess(accessToken, uc.now())
	if !ok {
		return nil, errTokenInvalid()
	}
	s, err := uc.shares.ByToken(ctx, token)
	if isNotFound(err) {
		return nil, errShareNotFound()
	}
	if err != nil {
		return nil, err
	}
	if err := stateErr(s.stateAt(uc.now())); err != nil {
		return nil, err
	}
	n, owner, err := uc.live(ctx, s)
	if err != nil {
		return nil, err
	}
	return &access{share: s, root: n, owner: owner}, nil
}

// within returns the node id of the shared subtree: the shared node
// itself, or one that has it among its ancestors, every node from there
// down being live. Anything else, another user's node included (every call
// names the share's owner), is NOT_IN_SHARE.
func (uc *AccessUsecase) within(ctx context.Context, a *access, id int64) (*Node, error) {
	if id == 0 || id == a.root.ID {
		return a.root, nil
	}
	path, err := uc.files.GetPath(ctx, a.share.OwnerID, id)
	if isNotFound(err) {
		return nil, errNotInShare()
	}
	if err != nil {
		return nil, err
	}
	if len(path) == 0 || path[len(path)-1].ID != id {
		return nil, errNotInShare()
	}
	for i, n := range path {
		if n.ID != a.share.NodeID {
			continue
		}
		for _, below := range path[i:] {
			if below.Trashed {
				return nil, errNotInShare()
			}
		}
		return path[len(path)-1], nil
	}
	return nil, errNotInShare()
}

// expose hides where the shared node sits in its owner's tree.
func expose(a *access, n *Node) *Node {
	if n.ID != a.root.ID {
		return n
	}
	c := *n
	c.ParentID = 0
	return &c
}

// Browse lists a folder of the share (parent 0: the shared item; a shared
// file lists as itself).
func (uc *AccessUsecase) Browse(ctx context.Context, accessToken string, parent int64, pageSize int, pageToken string) (*NodePage, error) {
	a, err := uc.authorize(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	dir, err := uc.within(ctx, a, parent)
	if err != nil {
		return nil, err
	}
	if !dir.Folder {
		return &NodePage{Items: []*Node{expose(a, dir)}}, nil
	}
	p, err := uc.files.ListChildren(ctx, a.share.OwnerID, dir.ID, pageSize, pageToken)
	if err != nil {
		return nil, err
	}
	out := &NodePage{Next: p.Next, Items: make([]*Node, 0, len(p.Items))}
	for _, n := range p.Items {
		if !n.Trashed {
			out.Items = append(out.Items, n)
		}
	}
	return out, nil
}

// zipName is a folder's name with ".zip", within 255 bytes.
func zipName(name string) string {
	const ext = ".zip"
	for len(name)+len(ext) > 255 {
		r := []rune(name)
		name = string(r[:len(r)-1])
	}
	return name + ext
}

// Download signs a download of a file of the share, or a zip of a folder
// (node 0: the shared item). Nothing is counted here: the URL names the
// share, and every GET of it is checked and counted by CheckDownload, so
// neither the limit nor a revocation can be outrun with URLs signed early.
func (uc *AccessUsecase) Download(ctx context.Context, accessToken string, node int64) (*SignedURL, error) {
	a, err := uc.authorize(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	n, err := uc.within(ctx, a, node)
	if err != nil {
		return nil, err
	}
	if n.Folder {
		return uc.storage.SignZip(ctx, a.share.OwnerID, []int64{n.ID}, zipName(n.Name), a.share.Token)
	}
	return uc.storage.SignDownload(ctx, a.share.OwnerID, n.ID, a.share.Token)
}

// DownloadSelection signs a download of items ticked in the share: a zip
// of them (named after the shared folder), or the file itself when it is
// one file. Each must lie inside the share; storage asks again at every
// GET (CheckDownload over the same ids).
func (uc *AccessUsecase) DownloadSelection(ctx context.Context, accessToken string, ids []int64) (*SignedURL, error) {
	if len(ids) == 1 {
		return uc.Download(ctx, accessToken, ids[0])
	}
	a, err := uc.authorize(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := uc.within(ctx, a, id); err != nil {
			return nil, err
		}
	}
	return uc.storage.SignZip(ctx, a.share.OwnerID, ids, zipName(a.root.Name), a.share.Token)
}

// Thumbnails signs thumbnail URLs for files of the share (a page of a
// shared folder at once). Every id must lie inside the share, as for a
// download; storage leaves out the files that cannot have one, and asks
// again at every GET (uncounted: a thumbnail is no download).
func (uc *AccessUsecase) Thumbnails(ctx context.Context, accessToken string, ids []int64, size int) ([]Thumbnail, error) {
	a, err := uc.authorize(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	err = parallel(len(ids), fanOut, func(i int) error {
		_, err := uc.within(ctx, a, ids[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return uc.storage.SignThumbnails(ctx, a.share.OwnerID, ids, size, a.share.Token)
}

// CheckDownload is storage asking, at a request for bytes of a URL signed
// through share token, whether the share as it is now still allows it:
// not revoked or expired, its owner (the URL's) not disabled, every node
// still in the share and out of the trash. count is set for a request that
// serves from the first byte: one download, refused once the limit is
// reached, taken in one conditional statement so racing requests never
// overshoot. A request continuing a download (a later Range) is checked
// but neither counted nor refused by the limit.
func (uc *AccessUsecase) CheckDownload(ctx context.Context, token string, owner int64, ids []int64, count bool) error {
	s, err := uc.shares.ByToken(ctx, token)
	if isNotFound(err) || (err == nil && s.OwnerID != owner) {
		return errShareNotFound()
	}
	if err != nil {
		return err
	}
	st := s.stateAt(uc.now())
	if st == StateLimitReached && !count {
		st = StateActive
	}
	if err := stateErr(st); err != nil {
		return err
	}
	root, user, err := uc.live(ctx, s)
	if err != nil {
		return err
	}
	a := &access{share: s, root: root, owner: user}
	for _, id := range ids {
		if _, err := uc.within(ctx, a, id); err != nil {
			return err
		}
	}
	if !count {
		return nil
	}
	ok, err := uc.shares.TakeDownload(ctx, s.ID)
	if err != nil {
		return err
	}
	if !ok {
		if s, err := uc.shares.ByToken(ctx, token); err == nil && s.RevokedAt != nil {
			return errRevoked()
		}
		return errLimitReached()
	}
	return nil
}

// Save copies items of the share into caller's folder parent (0: the root):
// nodes, never bytes, against caller's quota.
func (uc *AccessUsecase) Save(ctx context.Context, accessToken string, caller int64, ids []int64, parent int64) ([]*Node, error) {
	a, err := uc.authorize(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		ids = []int64{a.root.ID}
	}
	err = parallel(len(ids), fanOut, func(i int) error {
		_, err := uc.within(ctx, a, ids[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	nodes, err := uc.files.CopyFrom(ctx, a.share.OwnerID, ids, caller, parent)
	if err != nil {
		return nil, err
	}
	e := shareEvent(EventSaved, a.share, uc.now())
	e.ActorID, e.OwnerNickname = caller, a.owner.DisplayName()
	if u, err := uc.users.GetUser(ctx, caller); err == nil {
		e.ActorNickname = u.DisplayName()
	} else {
		uc.log.WithContext(ctx).Warnw("msg", "saver's nickname unavailable", "uid", caller, "err", err)
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.shares.AddSave(ctx, a.share.ID); err != nil {
			return err
		}
		return uc.events.Add(ctx, e)
	})
	if err != nil {
		// The copy is made and cannot be taken back: report it done (a
		// retry would copy again) and lose the counter and the event.
		uc.log.WithContext(ctx).Errorw("msg", "save counted nowhere", "share", a.share.ID, "err", err)
	}
	return nodes, nil
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
