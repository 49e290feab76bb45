package standalone_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	filev1 "clouddrive/api/file/v1"
	sharev1 "clouddrive/api/share/v1"
)

// The file scenarios: listings of flat folders and of a deep tree, rename,
// delete + restore, share create + open. Each call is timed on its own and
// followed by a loopback round trip of the same shape (method, request,
// answer size), its baseline.

// fillFolder makes a folder of n small files under parent (untimed) and
// returns its id: up to 1,000 distinct 16-byte files uploaded (8 at a
// time), the rest copies of them into the same folder ("file-00001 (1).txt"),
// up to 1,000 a call, which the drive makes without moving bytes.
func (e *benchEnv) fillFolder(b *testing.B, parent, name string, n int) string {
	b.Helper()
	tok := e.mustToken(b, e.admin)
	dir, err := e.mkdir(tok, parent, name)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, min(n, 1000))
	if err := benchRunWorkers(len(ids), 8, func(_ *[]byte, i int) error {
		c := newBenchContent(benchNextSeed(), 16)
		f, err := e.putSmall(tok, dir, fmt.Sprintf("file-%05d.txt", i), c, c.bytes())
		if err == nil {
			ids[i] = f.GetId()
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for have := len(ids); have < n; {
		k := min(len(ids), n-have)
		var copied filev1.NodesReply
		if err := e.call("/v1/file/copy", e.mustToken(b, e.admin), map[string]any{"ids": ids[:k], "parent_id": dir, "on_conflict": "rename"}, &copied); err != nil {
			b.Fatal(err)
		}
		if len(copied.GetItems()) != k {
			b.Fatalf("copy of %d files made %d", k, len(copied.GetItems()))
		}
		have += k
	}
	return dir
}

// list is one listing call: a page of folder (size entries, after token).
// It returns the next page's token and the answer's size.
func (e *benchEnv) list(tok, folder string, size int, token string) (next string, items, answer int, err error) {
	q := url.Values{"parent_id": {folder}, "page_size": {strconv.Itoa(size)}}
	if token != "" {
		q.Set("page_token", token)
	}
	var reply filev1.ListReply
	answer, err = e.getN("/v1/file/list", tok, q, &reply)
	return reply.GetNextPageToken(), len(reply.GetItems()), answer, err
}

// timedList is list, timed, followed by its baseline: a loopback GET with
// an answer of the same size.
func (e *benchEnv) timedList(b *testing.B, tok, folder string, size int, token string) (next string, ms, baseMs float64) {
	b.Helper()
	start := time.Now()
	next, _, answer, err := e.list(tok, folder, size, token)
	ms = benchMs(time.Since(start))
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if err := e.rt(http.MethodGet, nil, answer); err != nil {
		b.Fatal(err)
	}
	return next, ms, benchMs(time.Since(start))
}

// BenchmarkFilesFlatFolder: folders of 500 (issue 10's one-page listing),
// 1,000 and 10,000 files (oCIS's scenarios), walked page by page (500 and
// 100 entries a page) from the first to the last, again and again, each
// call timed.
func BenchmarkFilesFlatFolder(b *testing.B) {
	e := getBenchEnv(b)
	for _, n := range e.cfg.flat {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			dir := e.fillFolder(b, "", fmt.Sprintf("flat-%d-%d", n, benchNextSeed()%1e6), n)
			defer func() {
				if err := e.discard(e.admin, []string{dir}); err != nil {
					b.Fatal(err)
				}
			}()
			for _, page := range []int{500, 100} {
				b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) {
					var (
						lat, base []float64
						token     string
					)
					tok := e.mustToken(b, e.admin)
					cpu0 := e.cpu()
					for k := 0; k < e.cfg.calls*b.N; k++ {
						next, ms, baseMs := e.timedList(b, tok, dir, page, token)
						lat, base, token = append(lat, ms), append(base, baseMs), next
					}
					cpu := e.cpu() - cpu0 // the baselines cost the server nothing
					e.record(b, benchResult{Scenario: fmt.Sprintf("list a folder of %d files", n), Case: fmt.Sprintf("pages of %d", page),
						Kind: "latency", Unit: "ms",
						Baselines: []benchBaseline{baseline("loopback GET, same answer size", "ms", base, false)},
						CPU:       float64(cpu) / float64(time.Millisecond) / float64(len(lat)), CPUUnit: "ms/op"}, lat)
				})
			}
		})
	}
}

// benchTree is the deep tree: its folders level by level (levels[0] is the
// top folder alone).
type benchTree struct {
	levels [][]string
}

// buildTree makes benchTreeLevels levels of folders, benchTreeBranches in
// each, under a new top folder, and spreads files small files over all of
// them (untimed).
func (e *benchEnv) buildTree(b *testing.B, files int) *benchTree {
	b.Helper()
	tok := e.mustToken(b, e.admin)
	top, err := e.mkdir(tok, "", fmt.Sprintf("deep-%d", benchNextSeed()%1e6))
	if err != nil {
		b.Fatal(err)
	}
	t := &benchTree{levels: [][]string{{top}}}
	for l := 1; l <= benchTreeLevels; l++ {
		var level []string
		for _, parent := range t.levels[l-1] {
			for k := 0; k < benchTreeBranches; k++ {
				id, err := e.mkdir(tok, parent, fmt.Sprintf("level%d-%d", l, k))
				if err != nil {
					b.Fatal(err)
				}
				level = append(level, id)
			}
		}
		t.levels = append(t.levels, level)
	}
	var folders []string
	for _, level := range t.levels[1:] {
		folders = append(folders, level...)
	}
	if err := benchRunWorkers(files, 8, func(_ *[]byte, i int) error {
		c := newBenchContent(benchNextSeed(), 16)
		_, err := e.putSmall(tok, folders[i%len(folders)], fmt.Sprintf("file-%04d.txt", i), c, c.bytes())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkFilesDeepTree: 1,000 files in 5 levels of folders (3 in each:
// 363 folders). "one listing per level": a folder of each level in turn,
// every call timed; "walk": every folder of the tree listed, level by
// level, each walk timed as a whole.
func BenchmarkFilesDeepTree(b *testing.B) {
	e := getBenchEnv(b)
	t := e.buildTree(b, e.cfg.treeFiles)
	defer func() {
		if err := e.discard(e.admin, t.levels[0]); err != nil {
			b.Fatal(err)
		}
	}()
	b.Run("level", func(b *testing.B) {
		var lat, base []float64
		tok := e.mustToken(b, e.admin)
		cpu0 := e.cpu()
		for k := 0; k < e.cfg.calls*b.N; k++ {
			level := t.levels[1+k%benchTreeLevels]
			_, ms, baseMs := e.timedList(b, tok, level[(k/benchTreeLevels)%len(level)], 500, "")
			lat, base = append(lat, ms), append(base, baseMs)
		}
		cpu := e.cpu() - cpu0
		e.record(b, benchResult{Scenario: fmt.Sprintf("deep tree, %d files in %d levels", e.cfg.treeFiles, benchTreeLevels),
			Case: "list one folder of each level", Kind: "latency", Unit: "ms",
			Baselines: []benchBaseline{baseline("loopback GET, same answer size", "ms", base, false)},
			CPU:       float64(cpu) / float64(time.Millisecond) / float64(len(lat)), CPUUnit: "ms/op"}, lat)
	})
	b.Run("walk", func(b *testing.B) {
		var (
			walks, base []float64
			cpu         time.Duration
			calls       int
		)
		tok := e.mustToken(b, e.admin)
		for r := 0; r < e.cfg.rounds*b.N; r++ {
			// The walk, recording each answer's size for the baseline.
			var sizes []int
			cpu0, start := e.cpu(), time.Now()
			for _, level := range t.levels {
				for _, folder := range level {
					for token := ""; ; {
						next, _, answer, err := e.list(tok, folder, 500, token)
						if err != nil {
							b.Fatal(err)
						}
						sizes = append(sizes, answer)
						if token = next; token == "" {
							break
						}
					}
				}
			}
			walks = append(walks, benchMs(time.Since(start)))
			cpu += e.cpu() - cpu0
			calls = len(sizes)
			start = time.Now()
			for _, size := range sizes {
				if err := e.rt(http.MethodGet, nil, size); err != nil {
					b.Fatal(err)
				}
			}
			base = append(base, benchMs(time.Since(start)))
		}
		e.record(b, benchResult{Scenario: fmt.Sprintf("deep tree, %d files in %d levels", e.cfg.treeFiles, benchTreeLevels),
			Case: "walk the whole tree", Kind: "latency", Unit: "ms",
			Baselines: []benchBaseline{baseline("loopback GETs, same answers", "ms", base, false)},
			CPU:       cpu.Seconds() * 1000 / float64(len(walks)), CPUUnit: "ms/walk",
			Extra: map[string]float64{"calls_per_walk": float64(calls)}}, walks)
	})
}

// BenchmarkFilesOps: rename (a file back and forth), delete + restore (a
// file), share create + open (a share with a code; opened without an
// account), each timed as a whole; baseline: as many loopback round trips
// of the same shape.
func BenchmarkFilesOps(b *testing.B) {
	e := getBenchEnv(b)
	tok := e.mustToken(b, e.admin)
	dir, err := e.mkdir(tok, "", fmt.Sprintf("ops-%d", benchNextSeed()%1e6))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := e.discard(e.admin, []string{dir}); err != nil {
			b.Fatal(err)
		}
	}()
	c := newBenchContent(benchNextSeed(), benchSmallSize)
	file, err := e.putSmall(tok, dir, "target.bin", c, c.bytes())
	if err != nil {
		b.Fatal(err)
	}
	id := file.GetId()

	// op runs one operation of calls round trips; each call's answer size
	// is given back for the baseline.
	scenario := func(b *testing.B, label string, trips int, op func(k int, tok string) ([]int, error)) {
		var lat, base []float64
		var cpu time.Duration
		for k := 0; k < e.cfg.calls*b.N; k++ {
			tok := e.mustToken(b, e.admin)
			cpu0, start := e.cpu(), time.Now()
			answers, err := op(k, tok)
			lat = append(lat, benchMs(time.Since(start)))
			cpu += e.cpu() - cpu0
			if err != nil {
				b.Fatal(err)
			}
			start = time.Now()
			for _, size := range answers {
				if err := e.rt(http.MethodPost, []byte(`{"id":"12345678901234","name":"target-b.bin"}`), size); err != nil {
					b.Fatal(err)
				}
			}
			base = append(base, benchMs(time.Since(start)))
		}
		e.record(b, benchResult{Scenario: "file operations", Case: label, Kind: "latency", Unit: "ms",
			Baselines: []benchBaseline{baseline(benchTrips(trips), "ms", base, false)},
			CPU:       float64(cpu) / float64(time.Millisecond) / float64(len(lat)), CPUUnit: "ms/op"}, lat)
	}

	b.Run("rename", func(b *testing.B) {
		scenario(b, "rename", 1, func(k int, tok string) ([]int, error) {
			n, err := e.callN("/v1/file/rename", tok, map[string]string{"id": id, "name": fmt.Sprintf("target-%d.bin", k%2)}, nil)
			return []int{n}, err
		})
	})
	b.Run("delete_restore", func(b *testing.B) {
		scenario(b, "delete + restore", 2, func(_ int, tok string) ([]int, error) {
			n1, err := e.callN("/v1/file/delete", tok, map[string]any{"ids": []string{id}}, nil)
			if err != nil {
				return nil, err
			}
			n2, err := e.callN("/v1/file/restore", tok, map[string]any{"ids": []string{id}}, nil)
			return []int{n1, n2}, err
		})
	})
	b.Run("share_open", func(b *testing.B) {
		var shares []string
		scenario(b, "share create + open", 2, func(_ int, tok string) ([]int, error) {
			var s sharev1.ShareInfo
			n1, err := e.callN("/v1/share/create", tok, map[string]any{"node_id": id, "generate_code": true}, &s)
			if err != nil {
				return nil, err
			}
			shares = append(shares, s.GetToken())
			var o sharev1.OpenShareReply
			n2, err := e.callN("/v1/share/open", "", map[string]string{"token": s.GetToken(), "code": s.GetCode()}, &o)
			if err == nil && o.GetAccessToken() == "" {
				err = fmt.Errorf("share open gave no access token")
			}
			return []int{n1, n2}, err
		})
		for _, s := range shares {
			if err := e.call("/v1/share/revoke", e.mustToken(b, e.admin), map[string]string{"token": s}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchTrips(n int) string {
	if n == 1 {
		return "1 loopback round trip"
	}
	return fmt.Sprintf("%d loopback round trips", n)
}
