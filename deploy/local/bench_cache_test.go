package local_test

// Benchmarks of the file instances' cache through a running cluster
// (CLOUDDRIVE_E2E_CLUSTER=<its CLUSTER_DIR>), for docs/BENCHMARKS.md:
//
//	CLOUDDRIVE_E2E_CLUSTER=/tmp/cl go test -run '^$' -bench BenchmarkCluster -benchtime 2000x ./deploy/local/
//
// BenchmarkClusterReads is a stat and a 101-entry listing page through the
// gateway; run it against a cluster started with CLUSTER_CACHE=0 and
// against one with the cache (the default) for the two columns.
// BenchmarkClusterCacheLag is a rename through the gateway, then Redis
// polled (every 100 µs) until the binlog's change has reached it through
// cdcrelay, Kafka and cachesync. Each reports p50 and p99 in µs.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/cdc"
	"clouddrive/tools/loadgen/drive"
)

func percentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// benchUser signs a new user up through the gateway, with a folder of 200
// small files.
func benchUser(b *testing.B, c *cluster) (*drive.Client, drive.Node, []drive.Node) {
	ctx := context.Background()
	u := drive.New(c.base, &http.Client{Timeout: callTimeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}})
	if err := u.SignUp(ctx, "bench"+fmt.Sprint(time.Now().UnixNano()%1e9), "Pw-bench-"+fmt.Sprint(time.Now().UnixNano())); err != nil {
		b.Fatalf("sign up: %v", err)
	}
	dir, err := u.Mkdir(ctx, "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	var files []drive.Node
	for i := range 200 {
		f, err := u.PutFile(ctx, dir.ID, fmt.Sprintf("f%03d.txt", i), []byte(fmt.Sprint(i)))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	return u, dir, files
}

func BenchmarkClusterReads(b *testing.B) {
	c := open(b)
	u, dir, files := benchUser(b, c)
	ctx := context.Background()
	b.Run("stat", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			if _, err := u.Stat(ctx, files[i%len(files)].ID); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(start))
		}
		percentiles(b, d)
	})
	b.Run("list", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if _, _, err := u.List(ctx, dir.ID, 101, ""); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(start))
		}
		percentiles(b, d)
	})
}

func BenchmarkClusterCacheLag(b *testing.B) {
	c := open(b)
	u, _, files := benchUser(b, c)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + c.env["REDIS_PORT"]})
	b.Cleanup(func() { _ = rdb.Close() })
	f := files[0]
	key := "cd:cache:n:" + f.ID
	version := int64(1) // a new file; each rename adds one
	d := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		if err := u.Do(ctx, "POST", "/v1/file/rename", map[string]any{"id": f.ID, "name": fmt.Sprintf("lag-%d.txt", i)}, nil); err != nil {
			b.Fatal(err)
		}
		committed := time.Now() // the answer comes after the commit
		version++
		for {
			m, err := rdb.HGetAll(ctx, key).Result()
			if err != nil {
				b.Fatal(err)
			}
			// The writer fenced the key: the stream's change shows on the
			// fence ("c"), or as the row once a read filled it.
			v, _ := strconv.ParseInt(m["v"], 10, 64)
			shown, _ := strconv.ParseInt(m["c"], 10, 64)
			if (m["k"] == cdc.KindRow && v >= version) || (m["k"] == cdc.KindSoft && shown >= version) {
				break
			}
			if time.Since(committed) > time.Minute {
				b.Fatalf("v%d never reached the cache: %v", version, m)
			}
			time.Sleep(100 * time.Microsecond)
		}
		d = append(d, time.Since(committed))
	}
	percentiles(b, d)
}
