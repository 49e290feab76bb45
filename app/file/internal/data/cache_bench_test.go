package data

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"clouddrive/app/file/internal/biz"
)

// Benchmarks of issue 11, on the same pipeline as the tests (a binlog
// MariaDB of their own, cdcrelay, kfake, cachesync, a redis-server):
//
//	go test -run '^$' -bench 'BenchmarkCache' -benchtime 2000x ./app/file/internal/data/
//
// Each reports p50 and p99 in microseconds beside ns/op: Stat and List
// served by MySQL alone ("mysql") and read through a warm cache ("cache"),
// and the lag from a commit to the cache holding the new row.

func percentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// benchTree is a folder of 200 files of one owner, and the pipeline.
func benchTree(b *testing.B) (*pipeline, *instance, *biz.Node, []*biz.Node) {
	p := newPipeline(b)
	writer := p.plainInstance()
	ctx := context.Background()
	dir, err := writer.mkdir(ctx, 1, 0, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var files []*biz.Node
	for i := range 200 {
		n, err := writer.upload(ctx, 1, dir.ID, fmt.Sprintf("f%03d.txt", i), int64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, n)
	}
	return p, writer, dir, files
}

func BenchmarkCacheReads(b *testing.B) {
	p, writer, dir, files := benchTree(b)
	cached := p.instance(nil)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		in   *instance
	}{{"mysql", writer}, {"cache", cached}} {
		b.Run("stat/"+c.name, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := c.in.nodes.Get(ctx, 1, files[i%len(files)].ID); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(start))
			}
			percentiles(b, d)
		})
		b.Run("list/"+c.name, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := c.in.list(ctx, 1, dir.ID, biz.OrderName, false, 101); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(start))
			}
			percentiles(b, d)
		})
	}
}

func BenchmarkCacheCommitLag(b *testing.B) {
	p, writer, _, files := benchTree(b)
	ctx := context.Background()
	n := files[0]
	key := p.layout.NodeKey(n.ID)
	version := n.Version
	d := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		if err := writer.rename(ctx, 1, n.ID, fmt.Sprintf("lag-%d.txt", i)); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		version++
		for {
			e, err := p.layout.Get(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			if e != nil && e.Version >= version && e.Kind == "row" {
				break
			}
			if time.Since(committed) > time.Minute {
				b.Fatalf("v%d never reached the cache", version)
			}
			time.Sleep(100 * time.Microsecond)
		}
		d = append(d, time.Since(committed))
	}
	percentiles(b, d)
}
