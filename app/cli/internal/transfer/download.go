package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/cli/internal/progress"
	"clouddrive/pkg/contenthash"
)

// Download is one drive file to write to a local path.
type Download struct {
	Node  *filev1.Node
	Local string
	// Display is the remote path shown in messages.
	Display string
	// Force replaces an existing local file.
	Force bool
}

// DownloadResult says what a download did.
type DownloadResult struct {
	Ranges  int64 // of the file
	Resumed int64 // done by an earlier, interrupted run
	Fetched int64 // fetched by this run
}

// ErrCorrupt is returned when the bytes received do not add up to the
// file's content hash; the partial file is removed.
var ErrCorrupt = errors.New("the downloaded content does not match its content hash; run get again")

// getState is LOCAL.part.json: which ranges of LOCAL.part are written.
type getState struct {
	ID          string  `json:"id"`
	Size        int64   `json:"size"`
	ContentHash string  `json:"content_hash"`
	RangeSize   int64   `json:"range_size"`
	Done        []int64 `json:"done"`
}

// PartPath and StatePath are where an unfinished download of local lives.
func PartPath(local string) string  { return local + ".part" }
func StatePath(local string) string { return local + ".part.json" }

// rangeSize keeps a download within maxRanges ranges of whole blocks.
func rangeSize(size int64) int64 {
	rs := int64(RangeSize)
	if need := (size + maxRanges - 1) / maxRanges; need > rs {
		rs = (need + contenthash.BlockSize - 1) / contenthash.BlockSize * contenthash.BlockSize
	}
	return rs
}

// Download fetches one file into LOCAL.part (preallocated) in parallel
// ranges, recording finished ranges in LOCAL.part.json so that an
// interrupted download resumes, checks the content hash, and renames the
// part to LOCAL.
func (c *Config) Download(ctx context.Context, d Download) (*DownloadResult, error) {
	node := d.Node
	if node.GetKind() != "file" {
		return nil, fmt.Errorf("%s: not a file", d.Display)
	}
	if !d.Force {
		if _, err := os.Lstat(d.Local); err == nil {
			return nil, fmt.Errorf("%s exists (use -f to replace it)", d.Local)
		}
	}
	size, rs := node.GetSize(), rangeSize(node.GetSize())
	count := (size + rs - 1) / rs
	part, statePath := PartPath(d.Local), StatePath(d.Local)

	f, st, err := openPart(part, statePath, node, rs)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			f.Close()
		}
	}()
	done := make(map[int64]bool, len(st.Done))
	var doneBytes int64
	for _, i := range st.Done {
		if i >= 0 && i < count && !done[i] {
			done[i] = true
			doneBytes += min(rs, size-i*rs)
		}
	}
	res := &DownloadResult{Ranges: count, Resumed: int64(len(done))}

	task := c.Reporter.Start("get", d.Display, size)
	task.Phase("", doneBytes)
	g := &getter{c: c, f: f, node: node, rs: rs, st: st, statePath: statePath, task: task,
		digests: make([][]byte, count)}
	all := make([]int64, count)
	for i := range all {
		all[i] = int64(i)
	}
	err = pool(ctx, c.jobs(), all, func(ctx context.Context, _ int, i int64) error {
		if done[i] {
			return g.rehash(i) // written by an earlier run: hash it from disk
		}
		return g.fetch(ctx, i)
	})
	res.Fetched = int64(g.fetched)
	if err != nil {
		task.Fail()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		task.Fail()
		return nil, err
	}
	closed = true
	if err := f.Close(); err != nil {
		task.Fail()
		return nil, err
	}
	var digests []byte
	for _, d := range g.digests {
		digests = append(digests, d...)
	}
	if contenthash.ContentHash(digests) != node.GetContentHash() {
		task.Fail()
		_ = os.Remove(part)
		_ = os.Remove(statePath)
		return nil, ErrCorrupt
	}
	if err := os.Rename(part, d.Local); err != nil {
		task.Fail()
		return nil, err
	}
	_ = os.Remove(statePath)
	note := ""
	if res.Resumed > 0 {
		note = fmt.Sprintf("resumed: %d of %d ranges were there", res.Resumed, res.Ranges)
	}
	task.Done(note)
	return res, nil
}

// openPart opens LOCAL.part for an unfinished download of the same content,
// or starts afresh (preallocated) with an empty state.
func openPart(part, statePath string, node *filev1.Node, rs int64) (*os.File, *getState, error) {
	if b, err := os.ReadFile(statePath); err == nil {
		var st getState
		if json.Unmarshal(b, &st) == nil && st.ID == node.GetId() && st.Size == node.GetSize() &&
			st.ContentHash == node.GetContentHash() && st.RangeSize == rs {
			if f, err := os.OpenFile(part, os.O_RDWR, 0); err == nil {
				if fi, err := f.Stat(); err == nil && fi.Size() == node.GetSize() {
					return f, &st, nil
				}
				f.Close()
			}
		}
	}
	_ = os.Remove(statePath)
	if dir := filepath.Dir(part); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := preallocate(f, node.GetSize()); err != nil {
		f.Close()
		return nil, nil, err
	}
	st := &getState{ID: node.GetId(), Size: node.GetSize(), ContentHash: node.GetContentHash(), RangeSize: rs, Done: []int64{}}
	if err := saveState(statePath, st); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

func saveState(path string, st *getState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// getter is one download's shared state.
type getter struct {
	c         *Config
	f         *os.File
	node      *filev1.Node
	rs        int64
	task      *progress.Task
	statePath string

	mu      sync.Mutex
	st      *getState
	fetched int
	digests [][]byte // per range, set once by the range's worker
}

func (g *getter) bounds(i int64) (off, length int64) {
	off = i * g.rs
	return off, min(g.rs, g.node.GetSize()-off)
}

// rehash hashes a range already on disk.
func (g *getter) rehash(i int64) error {
	off, length := g.bounds(i)
	h := contenthash.NewBlockHasher()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(g.f, off, length), make([]byte, 256<<10)); err != nil {
		return err
	}
	g.digests[i] = h.Digests()
	return nil
}

// fetch streams one range into the part file, hashing it as it comes; a
// broken stream resumes where it stopped.
func (g *getter) fetch(ctx context.Context, i int64) error {
	off, length := g.bounds(i)
	h := contenthash.NewBlockHasher()
	var got int64
	err := g.c.retry(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := g.c.Storage.Download(ctx, &storagev1.DownloadRequest{Id: g.node.GetId(), Offset: off + got, Length: length - got})
		if err != nil {
			return err
		}
		first := true
		for got < length {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%s: the stream ended %d bytes early", g.node.GetName(), length-got)
			}
			if err != nil {
				return err
			}
			if first {
				first = false
				if msg.GetSize() != g.node.GetSize() || msg.GetContentHash() != g.node.GetContentHash() {
					return fmt.Errorf("%s changed on the drive during the download; run get again", g.node.GetName())
				}
			}
			data := msg.GetData()
			if int64(len(data)) > length-got {
				return fmt.Errorf("%s: the server sent more than asked", g.node.GetName())
			}
			if _, err := g.f.WriteAt(data, off+got); err != nil {
				return err
			}
			_, _ = h.Write(data)
			got += int64(len(data))
			g.task.Add(int64(len(data)))
			g.c.stats().BytesReceived.Add(int64(len(data)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	g.digests[i] = h.Digests()
	g.mu.Lock()
	g.st.Done = append(g.st.Done, i)
	g.fetched++
	err = saveState(g.statePath, g.st)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	g.c.stats().RangesFetched.Add(1)
	if g.c.Hooks.AfterRange != nil {
		g.c.Hooks.AfterRange(i)
	}
	return nil
}
