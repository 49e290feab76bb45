package cdc

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

// The compare-and-set's rules, one write after another on one key: a
// change from the stream (put), a read-through's fill (with the token of
// the fence it saw, or none), a writer's fence after its commit.
func TestPutOrdersWritesByVersion(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	c := NewCache(rdb, prefix, DefaultTTLs())
	ctx := context.Background()
	key := c.NodeKey(1)
	var fence string // the token of the last fence
	steps := []struct {
		name    string
		op      string // put, fill (with the last fence's token), stale (a fill with none), fence
		kind    string
		version int64
		data    string
		owner   int64
		wrote   bool
		after   string // kind then
		floor   string // the fence's floor then, when checked
	}{
		{"a missing id", "fill", KindMiss, 0, "", 7, true, KindMiss, ""},
		{"the row replaces the missing answer", "put", KindRow, 1, "r1", 0, true, KindRow, ""},
		{"a missing answer never replaces a row", "fill", KindMiss, 0, "", 7, false, KindRow, ""},
		{"a newer row", "put", KindRow, 3, "r3", 0, true, KindRow, ""},
		{"an older row loses", "fill", KindRow, 2, "r2", 0, false, KindRow, ""},
		{"the same version again does nothing", "put", KindRow, 3, "r3bis", 0, false, KindRow, ""},
		{"fenced after a commit: the floor is the cached version", "fence", "", 0, "", 0, false, KindSoft, "3"},
		{"a load that began before the fence loses, even newer", "stale", KindRow, 4, "r4", 0, false, KindSoft, "3"},
		{"an older change from the stream does not fill it", "put", KindRow, 3, "r3", 0, false, KindSoft, "3"},
		{"nor a newer one, which raises the floor", "put", KindRow, 5, "r5", 0, false, KindSoft, "5"},
		{"a delete raises it past its version", "put", KindTomb, 5, "", 0, false, KindSoft, "6"},
		{"a load after the fence, older than the stream, loses", "fill", KindRow, 5, "r5", 0, false, KindSoft, "6"},
		{"a load after the fence at the floor fills it", "fill", KindRow, 6, "r6", 0, true, KindRow, ""},
		{"then versions order the key again", "put", KindRow, 5, "r5", 0, false, KindRow, ""},
		{"a delete keeps the version and wins", "put", KindTomb, 6, "", 0, true, KindTomb, ""},
		{"a late load of the deleted version loses", "fill", KindRow, 6, "r6", 0, false, KindTomb, ""},
		{"a missing answer loses to the tombstone", "fill", KindMiss, 0, "", 7, false, KindTomb, ""},
		{"fencing a tombstone: the floor is the version after", "fence", "", 0, "", 0, false, KindSoft, "7"},
		{"a second writer's fence voids the first one's token", "refence", "", 0, "", 0, false, KindSoft, "7"},
		{"a load under the first token loses", "fill", KindRow, 7, "r7", 0, false, KindSoft, "7"},
	}
	for _, s := range steps {
		var wrote bool
		var err error
		switch s.op {
		case "fence":
			err = c.Fence(ctx, key)
			if e, _ := c.Get(ctx, key); e != nil {
				fence = e.Fence
			}
		case "refence":
			err = c.Fence(ctx, key)
		case "put":
			wrote, err = c.Put(ctx, key, s.kind, s.version, []byte(s.data), s.owner)
		case "fill":
			wrote, err = c.Fill(ctx, key, s.kind, s.version, []byte(s.data), s.owner, fence)
		case "stale":
			wrote, err = c.Fill(ctx, key, s.kind, s.version, []byte(s.data), s.owner, "")
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		e, err := c.Get(ctx, key)
		if err != nil || e == nil {
			t.Fatalf("%s: entry %v, %v", s.name, e, err)
		}
		if wrote != s.wrote || e.Kind != s.after {
			t.Fatalf("%s: wrote %v, now %s; want %v, %s", s.name, wrote, e.Kind, s.wrote, s.after)
		}
		if s.wrote && s.kind == KindRow && string(e.Data) != s.data {
			t.Fatalf("%s: data %q, want %q", s.name, e.Data, s.data)
		}
		if s.floor != "" {
			if m := rdb.HGet(ctx, key, "m").Val(); m != s.floor {
				t.Fatalf("%s: floor %s, want %s", s.name, m, s.floor)
			}
		}
	}
}

// A fence on a key that holds nothing (a read-through in flight is about
// to fill it with the row it loaded before the commit) refuses that fill,
// and any change from the stream; the first load after it fills it. It
// outlives the load in flight: at least the tombstone TTL.
func TestFenceOnAnEmptyKey(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	c := NewCache(rdb, prefix, DefaultTTLs())
	ctx := context.Background()
	key := c.QuotaKey(9)
	if err := c.Fence(ctx, key); err != nil {
		t.Fatal(err)
	}
	e, err := c.Get(ctx, key)
	if err != nil || e == nil || e.Kind != KindSoft || e.Fence == "" {
		t.Fatalf("after the fence: %+v, %v", e, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl < DefaultTTLs().Tomb-time.Second {
		t.Fatalf("the fence lives %v, want at least the tombstone TTL %v", ttl, DefaultTTLs().Tomb)
	}
	if ok, _ := c.Fill(ctx, key, KindRow, 1, []byte("old"), 0, ""); ok {
		t.Fatal("a load that began before the fence filled it")
	}
	if ok, _ := c.Put(ctx, key, KindRow, 1, []byte("insert"), 0); ok {
		t.Fatal("the insert's late event filled the fence")
	}
	if shown := rdb.HGet(ctx, key, "c").Val(); shown != "1" {
		t.Fatalf("the fence records the stream's row as v%s, want v1", shown)
	}
	if ok, _ := c.Fill(ctx, key, KindRow, 2, []byte("new"), 0, e.Fence); !ok {
		t.Fatal("the first load after the fence did not fill it")
	}
	if e, _ := c.Get(ctx, key); e == nil || e.Kind != KindRow || string(e.Data) != "new" || e.Version != 2 {
		t.Fatalf("after the fill: %+v", e)
	}
	// A missing answer after the fence (nothing the stream showed since).
	key = c.NodeKey(10)
	_ = c.Fence(ctx, key)
	e, _ = c.Get(ctx, key)
	if ok, _ := c.Fill(ctx, key, KindMiss, 0, nil, 4, e.Fence); !ok {
		t.Fatal("a missing answer loaded after the fence did not fill it")
	}
}

// A folder's stamp moves on with each bump and comes back, after it was
// lost, at a value no page was stored under.
func TestStampsMoveOn(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	c := NewCache(rdb, prefix, DefaultTTLs())
	ctx := context.Background()
	s1, err := c.Stamp(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Stamp(ctx, 1, 2); s != s1 {
		t.Fatalf("reading the stamp changed it: %s then %s", s1, s)
	}
	if err := c.BumpStamps(ctx, [2]int64{1, 2}); err != nil {
		t.Fatal(err)
	}
	s2, _ := c.Stamp(ctx, 1, 2)
	if s2 == s1 {
		t.Fatalf("a bump left the stamp at %s", s1)
	}
	rdb.Del(ctx, c.StampKey(1, 2))
	if s3, _ := c.Stamp(ctx, 1, 2); s3 == s1 || s3 == s2 {
		t.Fatalf("a lost stamp came back as %s (was %s, %s)", s3, s1, s2)
	}
}
