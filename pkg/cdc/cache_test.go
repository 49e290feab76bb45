package cdc

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

// The compare-and-set's rules, one write after another on one key.
func TestPutOrdersWritesByVersion(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	c := NewCache(rdb, prefix, DefaultTTLs())
	ctx := context.Background()
	key := c.NodeKey(1)
	steps := []struct {
		name    string
		kind    string // "" = Soften
		version int64
		data    string
		owner   int64
		wrote   bool
		after   string // kind then
	}{
		{"a missing id", KindMiss, 0, "", 7, true, KindMiss},
		{"the row replaces the missing answer", KindRow, 1, "r1", 0, true, KindRow},
		{"a missing answer never replaces a row", KindMiss, 0, "", 7, false, KindRow},
		{"a newer row", KindRow, 3, "r3", 0, true, KindRow},
		{"an older row loses", KindRow, 2, "r2", 0, false, KindRow},
		{"the same version again does nothing", KindRow, 3, "r3bis", 0, false, KindRow},
		{"marked old after a commit", "", 0, "", 0, false, KindSoft},
		{"an older load still loses", KindRow, 2, "r2", 0, false, KindSoft},
		{"a load at the same version fills it", KindRow, 3, "r3", 0, true, KindRow},
		{"a delete keeps the version and wins", KindTomb, 3, "", 0, true, KindTomb},
		{"a late load of the deleted version loses", KindRow, 3, "r3", 0, false, KindTomb},
		{"a missing answer loses to the tombstone", KindMiss, 0, "", 7, false, KindTomb},
	}
	for _, s := range steps {
		var wrote bool
		var err error
		if s.kind == "" {
			err = c.Soften(ctx, key)
		} else {
			wrote, err = c.Put(ctx, key, s.kind, s.version, []byte(s.data), s.owner)
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
