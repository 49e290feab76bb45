package local_test

// Faults of the change stream that keeps the file instances' Redis caches
// (issue 11): cdcrelay and cachesync SIGKILLed mid-stream while a user
// writes, then started again. While the stream is down every call works
// and reads its own writes (through the gateway, on either file instance);
// afterwards, once the relay and cachesync have caught up, every cached
// key equals MySQL, and every change reached the cache (none lost: the
// relay resumes from the position it stored after Kafka took the changes,
// cachesync from the offsets it committed after applying them).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/cdc"
	"clouddrive/tools/loadgen/drive"
)

func TestFaultCDCRelayKilledMidStream(t *testing.T) { killedMidStream(t, "cdcrelay") }

func TestFaultCachesyncKilledMidStream(t *testing.T) { killedMidStream(t, "cachesync") }

// killedMidStream: writes and reads-after-writes run through the gateway;
// victim is SIGKILLed among them, changes pile up behind it, it starts
// again from what it stored; the writes stop; once the stream has caught
// up, the cache equals MySQL and shows every change.
func killedMidStream(t *testing.T, victim string) {
	c := open(t)
	u, _ := c.account(t)
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- writeAndRead(t, u, stop) }()
	time.Sleep(time.Second) // the stream busy
	c.kill9(t, victim)
	time.Sleep(2 * time.Second) // changes pile up behind the dead process
	c.start(t, victim)
	time.Sleep(time.Second)
	close(stop)
	rounds := <-done
	if rounds == 0 {
		t.Fatal("no write went through")
	}
	c.caughtUp(t)
	// The writes have stopped and the stream has caught up; only the
	// cluster's own background work (none touches this user) could still
	// move a key, so a mismatch is retried for a while before it fails.
	deadline := time.Now().Add(60 * time.Second)
	for err := c.cacheMatches(t); err != nil; err = c.cacheMatches(t) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s was killed and started again: %v", victim, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d rounds of writes; %s killed and started again; the cache equals MySQL and shows every change", rounds, victim)
}

// writeAndRead runs rounds of changes, each followed by the reads that
// must see it (whichever file instance serves them), until stop. Every
// call must succeed: the cache's stream being down is no user's error.
func writeAndRead(t *testing.T, u *drive.Client, stop <-chan struct{}) int {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return i
		default:
		}
		fail := func(what string, err error) int {
			t.Errorf("round %d, %s: %v", i, what, err)
			return i
		}
		d, err := u.Mkdir(ctxT(t), "", fmt.Sprintf("round-%d", i))
		if err != nil {
			return fail("mkdir", err)
		}
		f, err := u.PutFile(ctxT(t), d.ID, "a.txt", []byte(fmt.Sprintf("round %d", i)))
		if err != nil {
			return fail("put", err)
		}
		if err := u.Do(ctxT(t), "POST", "/v1/file/rename", map[string]any{"id": f.ID, "name": "b.txt"}, nil); err != nil {
			return fail("rename", err)
		}
		if n, err := u.Stat(ctxT(t), f.ID); err != nil || n.Name != "b.txt" {
			return fail("stat after the rename", fmt.Errorf("%+v, %v; want b.txt", n, err))
		}
		if ns, err := u.ListAll(ctxT(t), d.ID); err != nil || len(ns) != 1 || ns[0].Name != "b.txt" {
			return fail("list after the rename", fmt.Errorf("%v, %v; want [b.txt]", names(ns), err))
		}
		if i%3 == 2 {
			if err := u.Do(ctxT(t), "POST", "/v1/file/delete", map[string]any{"ids": []string{d.ID}}, nil); err != nil {
				return fail("delete", err)
			}
			if n, err := u.Stat(ctxT(t), f.ID); drive.ReasonOf(err) != "NODE_NOT_FOUND" {
				return fail("stat after the delete", fmt.Errorf("%+v, %v; want NODE_NOT_FOUND", n, err))
			}
		}
	}
}

// caughtUp waits until the relay has published everything MariaDB has
// written and cachesync has applied everything published
// (`cdcrelay caught-up`, `cachesync caught-up`).
func (c *cluster) caughtUp(t *testing.T) {
	t.Helper()
	for _, p := range []string{"cdcrelay", "cachesync"} {
		out, err := exec.Command(filepath.Join(c.dir, "bin", p), "caught-up",
			"-conf", filepath.Join(c.dir, "conf", p+".yaml"), "-wait", "2m").Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				out = ee.Stderr
			}
			t.Fatalf("%s caught-up: %v\n%s", p, err, out)
		}
		t.Logf("%s", strings.TrimSpace(string(out)))
	}
}

// cacheMatches compares every node and quota key of the cluster's cache
// with MySQL: a cached row is MySQL's row (same version, name, folder,
// size, trash state); a tombstone stands only for a row gone or not newer;
// a "missing" answer only for a row that is missing for that owner; a
// writer's fence (never served) has seen, from the stream, the row's
// current version: the stream brought the last change of the key. (A key
// read after its change was filled from MySQL and shows nothing of the
// stream; the keys nobody read since — deleted folders, the quota — are
// the ones that catch a lost change.)
func (c *cluster) cacheMatches(t *testing.T) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + c.env["REDIS_PORT"]})
	defer rdb.Close()
	db := c.db(t, "clouddrive_file")
	var nodes, quotas int
	kinds := map[string]int{}
	iter := rdb.Scan(ctx, 0, "cd:cache:[nq]:*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		m, err := rdb.HGetAll(ctx, key).Result()
		if err != nil {
			return err
		}
		if len(m) == 0 {
			continue // expired meanwhile
		}
		kinds[m["k"]]++
		id, err := strconv.ParseInt(key[strings.LastIndexByte(key, ':')+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if strings.HasPrefix(key, "cd:cache:n:") {
			nodes++
			err = nodeMatches(ctx, db, key, id, m)
		} else {
			quotas++
			err = quotaMatches(ctx, db, key, id, m)
		}
		if err != nil {
			return err
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if nodes == 0 {
		return errors.New("no node key cached: the cache is not on")
	}
	t.Logf("checked %d node keys and %d quota keys (by kind: %v)", nodes, quotas, kinds)
	return nil
}

// shown is the newest row version the stream has shown a fenced key.
func shown(m map[string]string) int64 {
	f, _ := strconv.ParseInt(m["c"], 10, 64)
	return f
}

func nodeMatches(ctx context.Context, db *sql.DB, key string, id int64, m map[string]string) error {
	var owner, parent, size, version int64
	var name string
	var trashed sql.NullTime
	err := db.QueryRowContext(ctx, "SELECT owner_id, parent_id, name, size, trashed_at, version FROM nodes WHERE id = ?", id).
		Scan(&owner, &parent, &name, &size, &trashed, &version)
	gone := errors.Is(err, sql.ErrNoRows)
	if err != nil && !gone {
		return err
	}
	v, _ := strconv.ParseInt(m["v"], 10, 64)
	switch m["k"] {
	case cdc.KindRow:
		var r cdc.NodeRow
		if err := json.Unmarshal([]byte(m["d"]), &r); err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if gone {
			return fmt.Errorf("%s: cached row v%d, none in MySQL", key, v)
		}
		if r.Version != version || r.Name != name || r.ParentID != parent || r.Size != size || (r.TrashedAt != nil) != trashed.Valid {
			return fmt.Errorf("%s: cached %+v; MySQL v%d %q in %d, %d bytes, trashed %v", key, r, version, name, parent, size, trashed.Valid)
		}
	case cdc.KindTomb:
		if !gone && version > v {
			return fmt.Errorf("%s: a tombstone at v%d, MySQL has v%d: the change after it was lost", key, v, version)
		}
	case cdc.KindMiss:
		o, _ := strconv.ParseInt(m["o"], 10, 64)
		if !gone && owner == o {
			return fmt.Errorf("%s: cached as missing for %d, MySQL has it at v%d", key, o, version)
		}
	case cdc.KindSoft:
		if !gone && shown(m) < version {
			return fmt.Errorf("%s: fenced, the stream showed it up to v%d, MySQL has v%d: a change was lost", key, shown(m), version)
		}
	}
	return nil
}

func quotaMatches(ctx context.Context, db *sql.DB, key string, owner int64, m map[string]string) error {
	var used, limit, version int64
	err := db.QueryRowContext(ctx, "SELECT used_bytes, limit_bytes, version FROM quotas WHERE owner_id = ?", owner).
		Scan(&used, &limit, &version)
	gone := errors.Is(err, sql.ErrNoRows)
	if err != nil && !gone {
		return err
	}
	switch m["k"] {
	case cdc.KindRow:
		var r cdc.QuotaRow
		if err := json.Unmarshal([]byte(m["d"]), &r); err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if gone || r.Version != version || r.UsedBytes != used || r.LimitBytes != limit {
			return fmt.Errorf("%s: cached %+v; MySQL v%d used %d of %d (row there: %v)", key, r, version, used, limit, !gone)
		}
	case cdc.KindMiss:
		if !gone {
			return fmt.Errorf("%s: cached as missing, MySQL has v%d", key, version)
		}
	case cdc.KindSoft:
		if !gone && shown(m) < version {
			return fmt.Errorf("%s: fenced, the stream showed it up to v%d, MySQL has v%d: a change was lost", key, shown(m), version)
		}
	}
	return nil
}
