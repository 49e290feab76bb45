package standalone_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
)

// The storage scenarios: big files up and down, small files, instant upload.

// benchDisk holds the run's disk and CPU baselines, measured once
// (BenchmarkStorageBaselines, or the first scenario that needs them).
type benchDisk struct {
	once    sync.Once
	err     error
	dd      []float64 // MB/s
	sha     []float64 // MB/s
	shaSGiB []float64 // CPU s per GiB
}

var benchDisks benchDisk

func (e *benchEnv) disk(b *testing.B) *benchDisk {
	b.Helper()
	d := &benchDisks
	d.once.Do(func() {
		for r := 0; r < e.cfg.rounds; r++ {
			mbps, err := benchDD(e.dataDir, e.cfg.bigSize)
			if err != nil {
				d.err = err
				return
			}
			d.dd = append(d.dd, mbps)
			rate, s := benchSHA256(&benchContent{seed: benchNextSeed(), size: e.cfg.bigSize})
			d.sha, d.shaSGiB = append(d.sha, rate), append(d.shaSGiB, s)
		}
	})
	if d.err != nil {
		b.Fatal(d.err)
	}
	return d
}

func (e *benchEnv) bigName() string { return benchSizeName(e.cfg.bigSize) }

func benchSizeName(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// BenchmarkStorageBaselines: what the disk and the CPU give on their own,
// for the big file's size: dd conv=fsync on the data disk, SHA-256 in this
// process (the server's hashing cost per GiB is compared with it).
func BenchmarkStorageBaselines(b *testing.B) {
	e := getBenchEnv(b)
	d := e.disk(b)
	e.record(b, benchResult{Scenario: "baseline", Case: "dd conv=fsync, " + e.bigName() + " on the data disk", Kind: "rate", Unit: "MB/s"}, d.dd)
	m, _ := benchStats(d.shaSGiB, false)
	e.record(b, benchResult{Scenario: "baseline", Case: "SHA-256 in-process, " + e.bigName(), Kind: "rate", Unit: "MB/s",
		Extra: map[string]float64{"cpu_s_per_GiB": m}}, d.sha)
}

// BenchmarkStorageUpload: the big file over HTTP, init + chunk PUTs + a
// complete that answers once blob and metadata are durable, with 1 and 4
// chunks in flight: first with the content hash known beforehand (the
// server's part alone), then end to end as a client does it (hashing timed:
// beside the sending when the server takes an init without the hash,
// before it otherwise). Baseline: the same requests to the loopback sink,
// in the same rounds; and dd conv=fsync of the same size.
func BenchmarkStorageUpload(b *testing.B) {
	e := getBenchEnv(b)
	d := e.disk(b)
	chunk, err := e.chunkSize(e.admin, e.cfg.bigSize)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name, label string
		inFlight    int
		client      bool
	}{
		{"inflight=1", "1 in flight", 1, false},
		{"inflight=4", "4 in flight", 4, false},
		{"client_inflight=1", "client end to end, 1 in flight", 1, true},
		{"client_inflight=4", "client end to end, 4 in flight", 4, true},
	} {
		b.Run(v.name, func(b *testing.B) {
			size := e.cfg.bigSize
			var (
				rates, sink []float64
				cpu         time.Duration
				growth      float64
				mode        string
				keep        string
			)
			for r := 0; r < e.cfg.rounds*b.N; r++ {
				seed := benchNextSeed()
				var c *benchContent
				if v.client {
					c = &benchContent{seed: seed, size: size} // hash unknown: the client's work
				} else {
					c = newBenchContent(seed, size)
				}
				// The sink and the server take turns going first.
				runSink := func() {
					start := time.Now()
					if err := e.sinkUpload(c, chunk, v.inFlight); err != nil {
						b.Fatal(err)
					}
					sink = append(sink, benchMBps(size, time.Since(start)))
				}
				if r%2 == 0 {
					runSink()
				}
				name := fmt.Sprintf("upload-%d.bin", seed%1e9)
				w := benchWatchRSS(e.pid)
				user0, sys0 := benchCPUSplit(e.pid)
				cpu0, start := e.cpu(), time.Now()
				var (
					n   *filev1.Node
					err error
				)
				if v.client {
					n, mode, err = e.uploadAsClient(e.admin, c, name, v.inFlight)
				} else {
					n, err = e.upload(e.admin, c, name, v.inFlight)
				}
				took := time.Since(start)
				cpu += e.cpu() - cpu0
				if e.pid != 0 { // per round: a cost that grows over a run shows here
					user1, sys1 := benchCPUSplit(e.pid)
					gib := float64(size) / (1 << 30)
					b.Logf("round %d: %.0f MB/s, server CPU user %.2f + sys %.2f s/GiB", r,
						benchMBps(size, took), (user1-user0).Seconds()/gib, (sys1-sys0).Seconds()/gib)
				}
				growth = max(growth, w.end())
				if err != nil {
					b.Fatal(err)
				}
				rates = append(rates, benchMBps(size, took))
				if r%2 == 1 {
					runSink()
				}
				b.Logf("round %d: sink %.0f MB/s", r, sink[len(sink)-1])
				if keep != "" {
					if err := e.discard(e.admin, []string{keep}); err != nil {
						b.Fatal(err)
					}
				}
				keep = n.GetId()
			}
			e.keepBig(b, keep)
			res := benchResult{Scenario: "upload " + e.bigName(), Case: v.label, Kind: "rate", Unit: "MB/s",
				Baselines: []benchBaseline{
					baseline("loopback sink, same requests", "MB/s", sink, true),
					baseline("dd conv=fsync", "MB/s", d.dd, true),
				},
				CPU: cpu.Seconds() / (float64(len(rates)) * float64(size) / (1 << 30)), CPUUnit: "s/GiB",
				Note: mode}
			if e.pid != 0 {
				res.Extra = map[string]float64{"rss_growth_MiB": growth}
			}
			e.record(b, res, rates)
		})
	}
}

// keepBig keeps one uploaded big file for the downloads and discards the
// one kept before.
func (e *benchEnv) keepBig(b *testing.B, id string) {
	e.bigMu.Lock()
	old := e.bigNode
	e.bigNode = id
	e.bigMu.Unlock()
	if old != "" && old != id {
		if err := e.discard(e.admin, []string{old}); err != nil {
			b.Fatal(err)
		}
	}
}

// bigFile is a stored node of a big content: the one the upload scenario
// kept, or one uploaded now (untimed).
func (e *benchEnv) bigFile(b *testing.B) string {
	b.Helper()
	e.bigMu.Lock()
	id := e.bigNode
	e.bigMu.Unlock()
	if id != "" {
		return id
	}
	n, err := e.upload(e.admin, newBenchContent(benchNextSeed(), e.cfg.bigSize), fmt.Sprintf("big-%d.bin", benchNextSeed()%1e6), 4)
	if err != nil {
		b.Fatal(err)
	}
	e.keepBig(b, n.GetId())
	return n.GetId()
}

// BenchmarkStorageDownload: the big file through its signed URL (asked for
// in every round), as one stream and as 4 Range requests at once.
// Baseline: the same GETs from the loopback source (a repeated 8 MiB buffer
// served by http.ServeContent), in the same rounds.
func BenchmarkStorageDownload(b *testing.B) {
	e := getBenchEnv(b)
	id := e.bigFile(b)
	size := e.cfg.bigSize
	for _, v := range []struct {
		name, label string
		parts       int
	}{{"inflight=1", "1 stream", 1}, {"inflight=4", "4 ranges in flight", 4}} {
		b.Run(v.name, func(b *testing.B) {
			var (
				rates, source []float64
				cpu           time.Duration
				growth        float64
			)
			for r := 0; r < e.cfg.rounds*b.N; r++ {
				start := time.Now()
				if _, err := e.get(e.helper+"/source?size="+strconv.FormatInt(size, 10), size, v.parts); err != nil {
					b.Fatal(err)
				}
				source = append(source, benchMBps(size, time.Since(start)))
				w := benchWatchRSS(e.pid)
				cpu0, start := e.cpu(), time.Now()
				url, err := e.signedURL(e.admin, id)
				if err == nil {
					_, err = e.get(url, size, v.parts)
				}
				took := time.Since(start)
				cpu += e.cpu() - cpu0
				growth = max(growth, w.end())
				if err != nil {
					b.Fatal(err)
				}
				rates = append(rates, benchMBps(size, took))
			}
			res := benchResult{Scenario: "download " + e.bigName(), Case: v.label, Kind: "rate", Unit: "MB/s",
				Baselines: []benchBaseline{baseline("loopback source, same requests", "MB/s", source, true)},
				CPU:       cpu.Seconds() / (float64(len(rates)) * float64(size) / (1 << 30)), CPUUnit: "s/GiB"}
			if e.pid != 0 {
				res.Extra = map[string]float64{"rss_growth_MiB": growth}
			}
			e.record(b, res, rates)
		})
	}
}

// BenchmarkStorageSmallFiles: 500 distinct files of 4 KiB, each in one
// request (PUT /v1/upload/file with its hash), answered once durable, with
// 1 and 8 workers. Baselines, in the same rounds: 500 loopback round trips
// of the same shape (PUT 4 KiB, a node's JSON back) with as many workers,
// and 500 durable 4 KiB files written straight to the data disk.
func BenchmarkStorageSmallFiles(b *testing.B) {
	e := getBenchEnv(b)
	n := e.cfg.smallFiles
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var (
				rates, loop, disk []float64
				cpu               time.Duration
				answer            = benchNodeJSON
			)
			payload := make([]byte, benchSmallSize)
			for r := 0; r < e.cfg.rounds*b.N; r++ {
				start := time.Now()
				if err := benchRunWorkers(n, workers, func(_ *[]byte, i int) error {
					return e.rt(http.MethodPut, payload, answer)
				}); err != nil {
					b.Fatal(err)
				}
				loop = append(loop, float64(n)/time.Since(start).Seconds())
				rate, err := benchDiskFiles(e.dataDir, n, workers, payload)
				if err != nil {
					b.Fatal(err)
				}
				disk = append(disk, rate)

				type small struct {
					c    *benchContent
					body []byte
				}
				files := make([]small, n)
				for k := range files {
					c := newBenchContent(benchNextSeed(), benchSmallSize)
					files[k] = small{c: c, body: c.bytes()}
				}
				tok := e.mustToken(b, e.admin)
				dir, err := e.mkdir(tok, "", fmt.Sprintf("small-%d", benchNextSeed()%1e9))
				if err != nil {
					b.Fatal(err)
				}
				cpu0, start := e.cpu(), time.Now()
				err = benchRunWorkers(n, workers, func(_ *[]byte, k int) error {
					f := files[k]
					_, err := e.putSmall(tok, dir, fmt.Sprintf("f-%d.bin", k), f.c, f.body)
					return err
				})
				took := time.Since(start)
				cpu += e.cpu() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				rates = append(rates, float64(n)/took.Seconds())
				if err := e.discard(e.admin, []string{dir}); err != nil {
					b.Fatal(err)
				}
			}
			e.record(b, benchResult{Scenario: fmt.Sprintf("%d × 4 KiB, one request each", n), Case: benchWorkersName(workers),
				Kind: "rate", Unit: "files/s",
				Baselines: []benchBaseline{
					baseline("loopback round trips, same requests", "files/s", loop, true),
					baseline("durable 4 KiB files on the data disk", "files/s", disk, true),
				},
				CPU: float64(cpu) / float64(time.Millisecond) / float64(len(rates)*n), CPUUnit: "ms/file"}, rates)
		})
	}
}

// BenchmarkStorageInstantUpload: another user stores content the first
// stored already: init with its hash, hashing the challenged ranges of the
// local copy (32 ranges of 4 KiB, whatever the size past 128 KiB), prove.
// Proofs are counted per user, content and day (3 allowed), so every call
// is of a content of its own: 1 MiB each, stored beforehand (untimed).
// Baseline: two loopback round trips of the same shape, call for call.
func BenchmarkStorageInstantUpload(b *testing.B) {
	e := getBenchEnv(b)
	calls := e.cfg.calls * b.N
	sources := make([]*benchContent, calls)
	var stored []string
	tok := e.mustToken(b, e.admin)
	dir, err := e.mkdir(tok, "", fmt.Sprintf("instant-%d", benchNextSeed()%1e6))
	if err != nil {
		b.Fatal(err)
	}
	if err := benchRunWorkers(calls, 4, func(_ *[]byte, k int) error {
		c := newBenchContent(benchNextSeed(), benchInstantSize)
		sources[k] = c
		_, err := e.putSmall(tok, dir, fmt.Sprintf("source-%d.bin", k), c, c.bytes())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	stored = append(stored, dir)
	var (
		lat, base []float64
		cpu       time.Duration
		made      []string
	)
	for k, c := range sources {
		initJSON := []byte(`{"name":"instant-000000.bin","size":` + strconv.FormatInt(c.size, 10) + `,"content_hash":"` + c.hash + `"}`)
		start := time.Now()
		err := e.rt(http.MethodPost, initJSON, benchSessionJSON)
		if err == nil {
			err = e.rt(http.MethodPost, []byte(`{"upload_id":"0123456789","proof":"`+c.hash+`"}`), benchNodeJSON)
		}
		if err != nil {
			b.Fatal(err)
		}
		base = append(base, benchMs(time.Since(start)))

		local := c.bytes() // the client's copy, to answer the challenge from
		tok := e.mustToken(b, e.other)
		name := fmt.Sprintf("instant-%d.bin", k)
		cpu0, start := e.cpu(), time.Now()
		var s storagev1.UploadSession
		if err := e.call("/v1/upload/init", tok, map[string]any{"name": name, "size": c.size, "content_hash": c.hash, "on_conflict": "rename"}, &s); err != nil {
			b.Fatal(err)
		}
		proof, err := benchProof(s.GetChallenge(), local)
		if err != nil {
			b.Fatal(err)
		}
		var n filev1.Node
		if err := e.call("/v1/upload/prove", tok, map[string]string{"upload_id": s.GetUploadId(), "proof": proof}, &n); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, benchMs(time.Since(start)))
		cpu += e.cpu() - cpu0
		if n.GetSize() != c.size || n.GetContentHash() != c.hash {
			b.Fatalf("prove returned %v", &n)
		}
		made = append(made, n.GetId())
	}
	if err := e.discard(e.other, made); err != nil {
		b.Fatal(err)
	}
	if err := e.discard(e.admin, stored); err != nil {
		b.Fatal(err)
	}
	e.record(b, benchResult{Scenario: "instant upload", Case: "init + prove, " + benchSizeName(benchInstantSize) + " stored", Kind: "latency", Unit: "ms",
		Baselines: []benchBaseline{baseline("2 loopback round trips", "ms", base, false)},
		CPU:       float64(cpu) / float64(time.Millisecond) / float64(len(lat)), CPUUnit: "ms/op"}, lat)
}

func benchWorkersName(n int) string {
	if n == 1 {
		return "one at a time"
	}
	return fmt.Sprintf("%d workers", n)
}
