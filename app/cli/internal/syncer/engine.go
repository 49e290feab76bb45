// Package syncer keeps a local folder and a drive folder in two-way sync.
// Each pass scans the local folder, lists the drive folder and merges both
// against the merge base kept in a small local database
// (LOCAL/.drive-sync/state.db): moves are repeated first (found by inode
// and node id), then what changed on one side is copied to the other, and
// what changed on both is kept twice (a conflict copy named after the
// device and the time). Deletions go to the drive's trash or to a local
// trash folder, never further. A base is written only after its operation
// completed, so a sync killed at any point converges when run again.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// DefaultJobs is how many files a pass moves at once.
const DefaultJobs = 4

// maxPasses bounds the passes of one Sync: a pass that changed something
// is followed by another (conflict copies go up, folders made are
// recorded) until one finds nothing left to do.
const maxPasses = 5

// leftoverAge is how old a temporary upload must be before it counts as
// abandoned (another device may be in the middle of one).
const leftoverAge = time.Hour

// Engine syncs one local folder with one Remote.
type Engine struct {
	Local  string // the local folder (absolute)
	Remote Remote
	State  *State
	// Device names conflict copies: "report (conflict from laptop 2026-12-06 0712).txt".
	Device string
	DryRun bool
	Jobs   int
	// Printf reports each action; Warnf reports problems.
	Printf, Warnf func(format string, a ...any)
	Now           func() time.Time
}

// Result counts one Sync's actions.
type Result struct {
	Passes int
	Done   map[Op]int
	Moves  int
	Failed int
	// Listings counts the passes that walked the whole drive folder; the
	// others replayed the change feed.
	Listings int
	Planned  []string // dry run: the plan, one line per action
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) printf(format string, a ...any) {
	if e.Printf != nil {
		e.Printf(format, a...)
	}
}

func (e *Engine) warnf(format string, a ...any) {
	if e.Warnf != nil {
		e.Warnf(format, a...)
	}
}

func (e *Engine) abs(p string) string { return filepath.Join(e.Local, filepath.FromSlash(p)) }

// Sync runs passes until one finds nothing to do (a dry run plans one).
// The error is for a failure of the whole pass (scan, listing, state);
// failed actions are counted in Result.Failed and reported through Warnf.
func (e *Engine) Sync(ctx context.Context) (*Result, error) {
	res := &Result{Done: map[Op]int{}}
	for res.Passes < maxPasses {
		res.Passes++
		changed, failed, err := e.pass(ctx, res)
		if err != nil {
			return res, err
		}
		res.Failed = failed
		if e.DryRun || changed == 0 || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if !e.DryRun && res.Failed == 0 {
		// Downloads in progress are resumable only for the node they were
		// of; once everything is in sync none is in progress.
		_ = os.RemoveAll(filepath.Join(e.Local, Dir, "tmp"))
	}
	return res, nil
}

// pass scans both sides once and carries out the plan; it returns how many
// actions changed something and how many failed.
func (e *Engine) pass(ctx context.Context, res *Result) (changed, failed int, err error) {
	bases := e.State.All()
	local, err := ScanLocal(ctx, e.Local, bases, func(s string) { e.warnf("%s\n", s) })
	if err != nil {
		return 0, 0, err
	}
	snap, err := e.Remote.Snapshot(ctx, e.since(bases))
	if err != nil {
		return 0, 0, err
	}
	if !e.DryRun {
		// The feed's cursor is good for the next pass only if this one
		// ends with the bases matching the drive (no failures).
		defer func() {
			c := snap.Cursor
			if failed > 0 || err != nil {
				c = ""
			}
			if serr := e.State.SetMeta(metaCursor, c); serr != nil && err == nil {
				err = serr
			}
		}()
	}
	remote := snap.Entries
	if snap.Listed {
		res.Listings++
	}

	// 1. Moves, one at a time, each carrying its subtree.
	skip := map[string]bool{}
	for {
		m, ok := nextMove(bases, local, remote, skip)
		if !ok {
			break
		}
		if err := e.move(ctx, m, local, remote); err != nil {
			if ctx.Err() != nil {
				return changed, failed, ctx.Err()
			}
			e.warnf("move %s → %s: %v (synced as a delete and a create instead)\n", m.From, m.To, err)
			skip[m.From] = true
			continue
		}
		remapBases(bases, m.From, m.To)
		changed++
		res.Moves++
	}

	// 2. The plan.
	plan := Plan(bases, local, remote)
	if e.DryRun {
		for _, a := range plan {
			if !a.silent() {
				res.Planned = append(res.Planned, a.String())
				e.printf("would %s\n", a)
			}
		}
		return len(res.Planned), 0, nil
	}
	var transfers, rest []Action
	for _, a := range plan {
		switch a.Op {
		case OpUpload, OpReplace, OpDownload, OpConflict:
			transfers = append(transfers, a)
		default:
			rest = append(rest, a)
		}
	}
	run := func(a Action) {
		err := e.apply(ctx, a)
		switch {
		case err == nil:
			if !a.silent() {
				changed++
			}
			res.Done[a.Op]++
		case ctx.Err() != nil:
		default:
			failed++
			e.warnf("%s: %v\n", a, err)
		}
	}
	// Folders first (parents before children), then the files in
	// parallel, then the deletions.
	for _, a := range rest {
		if a.Op == OpMkdirRemote || a.Op == OpMkdirLocal {
			run(a)
		}
	}
	var mu sync.Mutex
	e.parallel(ctx, transfers, func(a Action) {
		err := e.apply(ctx, a)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			changed++
			res.Done[a.Op]++
		case ctx.Err() != nil:
		default:
			failed++
			e.warnf("%s: %v\n", a, err)
		}
	})
	for _, a := range rest {
		if ctx.Err() != nil {
			return changed, failed, ctx.Err()
		}
		if a.Op != OpMkdirRemote && a.Op != OpMkdirLocal {
			run(a)
		}
	}
	e.dropLeftovers(ctx, snap.Leftovers)
	return changed, failed, ctx.Err()
}

// metaCursor is the change feed's cursor the bases are in sync with.
const metaCursor = "cursor"

// since is the drive side the bases describe, with the cursor they are in
// sync with; nil when there is none (the first pass, or one after
// failures): the drive is listed then.
func (e *Engine) since(bases map[string]*Base) *Since {
	c, err := e.State.Meta(metaCursor)
	if err != nil || c == "" {
		return nil
	}
	known := make(map[string]*RemoteEntry, len(bases))
	for p, b := range bases {
		known[p] = &RemoteEntry{ID: b.NodeID, Kind: b.Kind, Size: b.Size, Hash: b.Hash}
	}
	return &Since{Cursor: c, Known: known}
}

// parallel runs work on each action on Jobs workers.
func (e *Engine) parallel(ctx context.Context, actions []Action, work func(Action)) {
	jobs := e.Jobs
	if jobs < 1 {
		jobs = DefaultJobs
	}
	ch := make(chan Action)
	var wg sync.WaitGroup
	for w := 0; w < min(jobs, len(actions)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range ch {
				work(a)
			}
		}()
	}
feed:
	for _, a := range actions {
		select {
		case ch <- a:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
}

// dropLeftovers trashes temporary uploads abandoned long ago.
func (e *Engine) dropLeftovers(ctx context.Context, left []Leftover) {
	for _, l := range left {
		if l.UpdatedAt.IsZero() || e.now().Sub(l.UpdatedAt) < leftoverAge {
			continue
		}
		if err := e.Remote.Trash(ctx, &RemoteEntry{ID: l.ID}, l.Path); err != nil && ctx.Err() == nil {
			e.warnf("trash the abandoned upload %s: %v\n", l.Path, err)
		}
	}
}

// errChangedMeanwhile: the local side changed between the scan and the
// operation; the next pass sees the change.
var errChangedMeanwhile = errors.New("changed locally meanwhile; the next pass takes it up")

// move repeats one move on the other side and records it.
func (e *Engine) move(ctx context.Context, m Move, local map[string]*LocalEntry, remote map[string]*RemoteEntry) error {
	if m.Remote {
		e.printf("move locally %s → %s\n", m.From, m.To)
		to := e.abs(m.To)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if _, err := os.Lstat(to); err == nil {
			return fmt.Errorf("%s exists", to)
		}
		if err := os.Rename(e.abs(m.From), to); err != nil {
			return err
		}
		if err := e.State.Move(m.From, m.To); err != nil {
			return err
		}
		remap(local, m.From, m.To)
		return nil
	}
	e.printf("move on drive %s → %s\n", m.From, m.To)
	if _, err := e.Remote.Move(ctx, remote[m.From], m.From, m.To); err != nil {
		return err
	}
	if err := e.State.Move(m.From, m.To); err != nil {
		return err
	}
	remap(remote, m.From, m.To)
	return nil
}

// record writes the base of a path from both sides, once they agree.
func (e *Engine) record(p string, l *LocalEntry, r *RemoteEntry) error {
	b := Base{Path: p, Kind: r.Kind, NodeID: r.ID, Hash: r.Hash}
	if l != nil {
		b.Size, b.MtimeNs, b.Ino = l.Size, l.MtimeNs, l.Ino
		// A file written this recently may change again within the same
		// mtime tick: the next scan hashes it again.
		if e.now().Sub(time.Unix(0, l.MtimeNs)) < recentWindow || l.Hash != r.Hash {
			b.MtimeNs = 0
		}
	}
	return e.State.Put(b)
}

// apply carries out one action.
func (e *Engine) apply(ctx context.Context, a Action) error {
	p := a.Path
	switch a.Op {
	case OpRecord:
		return e.record(p, a.L, a.R)
	case OpForget:
		return e.State.Delete(p)
	case OpMkdirRemote:
		e.printf("mkdir on drive %s\n", p)
		r, err := e.Remote.Mkdir(ctx, p)
		if err != nil {
			return err
		}
		return e.record(p, a.L, r)
	case OpMkdirLocal:
		e.printf("mkdir locally %s\n", p)
		if err := os.MkdirAll(e.abs(p), 0o755); err != nil {
			return err
		}
		l, err := statLocal(e.abs(p))
		if err != nil {
			return err
		}
		if l == nil || l.Kind != KindFolder {
			return errChangedMeanwhile
		}
		return e.record(p, l, a.R)
	case OpUpload, OpReplace:
		var (
			r   *RemoteEntry
			err error
		)
		if a.Op == OpReplace {
			r, err = e.Remote.Replace(ctx, a.R, e.abs(p), p)
		} else {
			r, err = e.Remote.Upload(ctx, e.abs(p), p)
		}
		if err != nil {
			return err
		}
		return e.record(p, a.L, r)
	case OpDownload:
		return e.download(ctx, p, a.L, a.R)
	case OpConflict:
		return e.conflict(ctx, a)
	case OpTrashRemote:
		e.printf("trash on drive %s\n", p)
		if err := e.Remote.Trash(ctx, a.R, p); err != nil {
			return err
		}
		return e.State.Delete(p)
	case OpTrashLocal:
		return e.trashLocal(p, a.L)
	}
	return fmt.Errorf("unknown action %d", a.Op)
}

// download fetches the drive's file into .drive-sync/tmp and renames it
// into place, unless the local side changed since the scan.
func (e *Engine) download(ctx context.Context, p string, l *LocalEntry, r *RemoteEntry) error {
	tmpDir := filepath.Join(e.Local, Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(tmpDir, r.ID)
	if err := e.Remote.Download(ctx, r, p, tmp); err != nil {
		return err
	}
	target := e.abs(p)
	now, err := statLocal(target)
	if err != nil {
		return err
	}
	if !sameStat(now, l) || now != nil && now.Kind == KindFolder {
		return errChangedMeanwhile
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	got, err := statLocal(target)
	if err != nil {
		return err
	}
	if got == nil {
		return errChangedMeanwhile
	}
	got.Hash = r.Hash
	return e.record(p, got, r)
}

// conflict keeps both: the local file (or folder) is renamed to a conflict
// copy, which goes up on the next pass, and the drive's comes down.
func (e *Engine) conflict(ctx context.Context, a Action) error {
	p := a.Path
	now, err := statLocal(e.abs(p))
	if err != nil {
		return err
	}
	if !sameStat(now, a.L) {
		return errChangedMeanwhile
	}
	cp := e.conflictName(p)
	e.printf("conflict %s: both changed; keeping the local one as %s\n", p, cp)
	if err := os.Rename(e.abs(p), e.abs(cp)); err != nil {
		return err
	}
	if err := e.State.Delete(p); err != nil {
		return err
	}
	if a.R.Kind == KindFolder {
		return e.apply(ctx, Action{Op: OpMkdirLocal, Path: p, R: a.R})
	}
	return e.download(ctx, p, nil, a.R)
}

// conflictName is a free local name for the conflict copy of p:
// "dir/report (conflict from laptop 2026-12-06 0712).txt".
func (e *Engine) conflictName(p string) string {
	dir, name := path.Split(p)
	ext := path.Ext(name)
	if ext == name { // ".bashrc"
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	device := e.Device
	if device == "" {
		device = "this device"
	}
	tag := fmt.Sprintf("conflict from %s %s", device, e.now().Format("2006-01-02 1504"))
	for i := 1; ; i++ {
		suffix := " (" + tag + ")"
		if i > 1 {
			suffix = fmt.Sprintf(" (%s %d)", tag, i)
		}
		c := dir + stem + suffix + ext
		if _, err := os.Lstat(e.abs(c)); os.IsNotExist(err) {
			return c
		}
	}
}

// trashLocal moves a local file or folder deleted on the drive into
// .drive-sync/trash/<time>/<path>, unless it changed since the scan.
func (e *Engine) trashLocal(p string, l *LocalEntry) error {
	now, err := statLocal(e.abs(p))
	if err != nil {
		return err
	}
	if now != nil {
		if !sameStat(now, l) {
			return errChangedMeanwhile
		}
		e.printf("to local trash %s\n", p)
		dst := filepath.Join(e.Local, Dir, "trash", e.now().UTC().Format("20060102-150405"), filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if _, err := os.Lstat(dst); err == nil {
			dst += fmt.Sprintf(".%d", e.now().UnixNano())
		}
		if err := os.Rename(e.abs(p), dst); err != nil {
			return err
		}
	}
	return e.State.Delete(p)
}

// Summary is the result in one line.
func (r *Result) Summary() string {
	ops := make([]Op, 0, len(r.Done))
	for op := range r.Done {
		if op != OpRecord && op != OpForget {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	s := ""
	for _, op := range ops {
		s += fmt.Sprintf("%d %s, ", r.Done[op], op)
	}
	if r.Moves > 0 {
		s += fmt.Sprintf("%d moved, ", r.Moves)
	}
	if s == "" {
		s = "nothing to do, "
	}
	s += fmt.Sprintf("%d failed", r.Failed)
	if r.Listings > 0 {
		s += "; the drive folder listed" // rather than read from the change feed
	}
	return s
}
