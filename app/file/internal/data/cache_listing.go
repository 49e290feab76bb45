package data

import (
	"context"
	"encoding/json"
	"fmt"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
)

// Listing pages are cached by folder and stamp: the key holds the owner,
// the parent, the folder's current stamp and the page's query (order,
// direction, cursor, limit). Any change of a child — created, renamed,
// moved in or out, trashed, restored, resized, purged — moves the stamp on
// (cachesync for every change in the binlog, carrying the child's parent
// before and after; this service after its own commits, for
// read-your-writes). A page is never updated in place: pages under an old
// stamp are simply never read again and expire. A reader takes the stamp
// before it loads from MySQL and stores the page under that stamp, so a
// page loaded while a child changed is stored under a stamp that has moved
// on already, or moves on when the change reaches cachesync: it can be
// served only in the window in which the binlog has not yet been applied,
// which is the cache's promise (eventually consistent, commit-to-cache lag
// in clouddrive_cache_commit_lag_seconds). Stamps outlive the pages under
// them, and a lost stamp (FLUSHALL, eviction) starts again at a random
// value, so it never comes back to one a live page was stored under.

// pageQuery identifies a page of one folder.
func pageQuery(q biz.ListQuery) string {
	s := fmt.Sprintf("%s|%t|%d", q.OrderBy, q.Desc, q.Limit)
	if a := q.After; a != nil {
		s += fmt.Sprintf("|%d|%x|%d|%d|%d", a.Kind, a.Name, a.Size, a.Updated.UnixNano(), a.ID)
	}
	return s
}

func (r *cachedNodes) List(ctx context.Context, q biz.ListQuery) ([]*biz.Node, error) {
	if inTx(ctx) || !r.c.up() {
		return r.NodeRepo.List(ctx, q)
	}
	rc, cancel := rctx(ctx)
	stamp, err := r.c.c.Stamp(rc, q.Owner, q.Parent)
	var b []byte
	key := ""
	if err == nil {
		key = r.c.c.PageKey(q.Owner, q.Parent, stamp, pageQuery(q))
		b, err = r.c.c.GetPage(rc, key)
	}
	cancel()
	if err != nil {
		r.c.failed("get page", err)
		r.c.count("listing", "error")
		return r.NodeRepo.List(ctx, q)
	}
	if b != nil {
		if ns, err := decodePage(b); err == nil {
			r.c.count("listing", "hit")
			return ns, nil
		}
	}
	r.c.count("listing", "miss")
	v, err, _ := r.c.sf.Do(key, func() (any, error) {
		ns, err := r.NodeRepo.List(ctx, q)
		if err != nil {
			return nil, err
		}
		rows := make([]cdc.NodeRow, len(ns))
		for i, n := range ns {
			rows[i] = rowOf(n)
		}
		if b, err := json.Marshal(rows); err == nil {
			rc, cancel := rctx(ctx)
			r.c.failed("fill page", r.c.c.PutPage(rc, key, b))
			cancel()
		}
		return ns, nil
	})
	if err != nil {
		return nil, err
	}
	shared := v.([]*biz.Node)
	out := make([]*biz.Node, len(shared)) // each caller its own copies
	for i, n := range shared {
		c := *n
		out[i] = &c
	}
	return out, nil
}

func decodePage(b []byte) ([]*biz.Node, error) {
	var rows []cdc.NodeRow
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, err
	}
	out := make([]*biz.Node, len(rows))
	for i := range rows {
		out[i] = nodeOf(&rows[i])
	}
	return out, nil
}
