package data_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"clouddrive/app/file/internal/biz"
)

// Benchmarks of the file service's data and biz together, on MariaDB (skipped
// with -short) and on SQLite:
//
//	go test -run '^$' -bench . -benchtime=200x ./app/file/internal/data/
//
// List reports p50/p99 latency per call (µs) besides ns/op; Mkdir and
// Rename report operations per second.

const benchEntries = 10_000

// latencies records one duration per iteration and reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "µs-p50")
	b.ReportMetric(pct(0.99), "µs-p99")
}

func BenchmarkList(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			f := newFx(b, be, nil)
			dir, _ := seedBigFolder(b, f, alice, benchEntries)
			orders := []struct {
				name  string
				order string
				desc  bool
			}{
				{"name", biz.OrderName, false},
				{"updated_at-desc", biz.OrderUpdated, true},
			}
			for _, o := range orders {
				q := biz.ListQuery{Owner: alice, Parent: dir.ID, OrderBy: o.order, Desc: o.desc, Limit: 100}
				// The cursor of the 90th page (of 100): after 89 pages.
				deep := q
				for range 89 {
					p, err := f.node.List(f.ctx, deep)
					if err != nil || p.Next == nil {
						b.Fatalf("paging to the 90th page: %v", err)
					}
					deep.After = p.Next
				}
				for _, c := range []struct {
					name string
					q    biz.ListQuery
				}{{"first-page", q}, {"page-90", deep}} {
					b.Run(o.name+"/"+c.name, func(b *testing.B) {
						var lat latencies
						for b.Loop() {
							t0 := time.Now()
							p, err := f.node.List(f.ctx, c.q)
							lat = append(lat, time.Since(t0))
							if err != nil || len(p.Items) != 100 {
								b.Fatalf("List: %d items, %v", len(p.Items), err)
							}
						}
						lat.report(b)
					})
				}
			}
		})
	}
}

func BenchmarkMkdir(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			f := newFx(b, be, nil)
			dir := f.mkdir(alice, 0, "mkdirs")
			var lat latencies
			i := 0
			start := time.Now()
			for b.Loop() {
				t0 := time.Now()
				if _, err := f.node.Mkdir(f.ctx, alice, dir.ID, fmt.Sprintf("folder %d", i), false); err != nil {
					b.Fatalf("Mkdir: %v", err)
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "mkdir/s")
			lat.report(b)
		})
	}
}

func BenchmarkRename(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			f := newFx(b, be, nil)
			_, files := seedBigFolder(b, f, alice, 1000)
			var lat latencies
			i := 0
			start := time.Now()
			for b.Loop() {
				n := files[i%len(files)]
				t0 := time.Now()
				if _, err := f.node.Rename(f.ctx, alice, n.ID, fmt.Sprintf("renamed %d", i), false); err != nil {
					b.Fatalf("Rename: %v", err)
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "rename/s")
			lat.report(b)
		})
	}
}
