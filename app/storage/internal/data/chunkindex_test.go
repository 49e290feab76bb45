package data

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

func TestRedisChunkIndex(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	x := NewChunkIndex(&Data{Redis: rdb, Prefix: prefix})
	ctx := context.Background()

	if _, ok, err := x.Held(ctx, "u1", 10); err != nil || ok {
		t.Fatalf("Held before Start = ok %v, %v; want no view", ok, err)
	}
	// Set on a view that does not exist must not create one with holes.
	if err := x.Set(ctx, "u1", 3, true); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := x.Held(ctx, "u1", 10); ok {
		t.Fatal("Set created a view")
	}
	if err := x.Start(ctx, "u1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if held, ok, err := x.Held(ctx, "u1", 10); err != nil || !ok || len(held) != 0 {
		t.Fatalf("fresh view = %v, %v, %v; want empty", held, ok, err)
	}
	for _, i := range []int64{9, 0, 4, 8} {
		if err := x.Set(ctx, "u1", i, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Set(ctx, "u1", 4, false); err != nil {
		t.Fatal(err)
	}
	held, ok, err := x.Held(ctx, "u1", 10)
	if err != nil || !ok || !reflect.DeepEqual(held, []int64{0, 8, 9}) {
		t.Fatalf("Held = %v, %v, %v; want [0 8 9]", held, ok, err)
	}
	if ttl := rdb.TTL(ctx, prefix+"upload:chunks:u1").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %v", ttl)
	}
	// Losing Redis (the key) loses the view, never an upload: no view again.
	if err := x.Drop(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := x.Held(ctx, "u1", 10); ok {
		t.Fatal("view survived Drop")
	}
}

func TestNoChunkIndexDefersToTheRepo(t *testing.T) {
	x := NewChunkIndex(&Data{})
	if _, ok, err := x.Held(context.Background(), "u", 3); ok || err != nil {
		t.Fatalf("Held = %v, %v; want no view", ok, err)
	}
}
