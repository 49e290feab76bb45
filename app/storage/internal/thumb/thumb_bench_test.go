package thumb

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkJPEG12MP is the time of one 256-pixel thumbnail of a
// 12-megapixel (4000×3000) JPEG, and the peak of the heap while making it
// (peak-heap-MB, sampled). Run alone:
//
//	go test -run '^$' -bench JPEG12MP -benchtime 20x ./app/storage/internal/thumb/
func BenchmarkJPEG12MP(b *testing.B) {
	src := encoded(b, "jpeg", gradient(4000, 3000))
	r := NewRenderer(Options{Concurrency: 1})
	for _, edge := range []int{256, 1024} {
		b.Run(map[int]string{256: "256px", 1024: "1024px"}[edge], func(b *testing.B) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			peak := sampleHeap()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Render(context.Background(), Image, bytes.NewReader(src), int64(len(src)), edge); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(peak()-base.HeapAlloc)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap polls the live heap until the returned func is called, which
// gives the highest value seen.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}
