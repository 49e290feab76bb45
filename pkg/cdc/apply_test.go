package cdc

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

// A batch goes in its order under Put's rules: an older change or a row at
// a deleted version loses, a fenced key only has its floor raised, and
// every change moves its folder's stamp on; after the scripts were lost
// (a Redis restarted or flushed) the batch still goes.
func TestApplyIsPutInOrder(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	c := NewCache(rdb, prefix, DefaultTTLs())
	ctx := context.Background()
	a, b, q := c.NodeKey(1), c.NodeKey(2), c.QuotaKey(9)
	if err := c.Fence(ctx, b); err != nil {
		t.Fatal(err)
	}
	s0, err := c.Stamp(ctx, 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	folder := [][2]int64{{9, 0}}
	batch := []Change{
		{Key: a, Kind: KindRow, Version: 1, Data: []byte("a1"), Folders: folder},
		{Key: a, Kind: KindRow, Version: 3, Data: []byte("a3"), Folders: folder},
		{Key: a, Kind: KindRow, Version: 2, Data: []byte("a2"), Folders: folder}, // older: loses
		{Key: b, Kind: KindRow, Version: 5, Data: []byte("b5"), Folders: folder}, // fenced: floor only
		{Key: q, Kind: KindRow, Version: 4, Data: []byte("q4")},
		{Key: q, Kind: KindTomb, Version: 4},                    // a delete keeps its version and wins
		{Key: q, Kind: KindRow, Version: 4, Data: []byte("q4")}, // the deleted version does not come back
	}
	if err := c.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	check := func(key, kind string, version int64, data string) {
		t.Helper()
		e, err := c.Get(ctx, key)
		if err != nil || e == nil || e.Kind != kind || e.Version != version || string(e.Data) != data {
			t.Fatalf("%s: %+v (%v), want %s v%d %q", key, e, err, kind, version, data)
		}
	}
	check(a, KindRow, 3, "a3")
	check(q, KindTomb, 4, "")
	e, _ := c.Get(ctx, b)
	if floor := rdb.HGet(ctx, b, "m").Val(); e == nil || e.Kind != KindSoft || floor != "5" {
		t.Fatalf("fenced key after a change: %+v, floor %s; want soft, floor 5", e, floor)
	}
	s1, _ := c.Stamp(ctx, 9, 0)
	n0, _ := strconv.ParseInt(s0, 10, 64)
	if n1, _ := strconv.ParseInt(s1, 10, 64); n1 != n0+4 {
		t.Fatalf("stamp %d after four changes of the folder, was %d", n1, n0)
	}

	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, []Change{{Key: a, Kind: KindRow, Version: 4, Data: []byte("a4")}}); err != nil {
		t.Fatalf("after SCRIPT FLUSH: %v", err)
	}
	check(a, KindRow, 4, "a4")
	if err := c.Apply(ctx, []Change{{Key: a, Kind: KindSoft, Version: 5}}); err == nil {
		t.Fatal("a batch with a fence in it went through")
	}
	check(a, KindRow, 4, "a4")
}
