package data_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/proto"
	"gorm.io/gorm"

	eventsv1 "clouddrive/api/events/v1"
	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/data"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
	"clouddrive/pkg/testkit"
)

// The users of the tests.
const (
	alice int64 = 101
	bob   int64 = 202
)

const gib = int64(1) << 30

// backend opens a fresh, migrated database of one kind.
type backend struct {
	name string
	open func(t testing.TB) *gorm.DB
}

var backends = []backend{
	{"mariadb", func(t testing.TB) *gorm.DB { return openDB(t, "mysql", testkit.MySQL(t)) }},
	{"sqlite", func(t testing.TB) *gorm.DB { return openDB(t, "sqlite", testkit.SQLite(t)) }},
}

func openDB(t testing.TB, driver, source string) *gorm.DB {
	t.Helper()
	db, err := database.Open(database.Config{Driver: driver, Source: source})
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := data.Migrate(db); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return db
}

// fakeClock starts at a fixed instant and moves 1ms forward on every read,
// so that successive changes get distinct, ordered times.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fx is the real file service below the transport: gorm repos on a fresh
// database and the use cases over them.
type fx struct {
	t       testing.TB
	ctx     context.Context
	backend string
	db      *gorm.DB
	nodes   biz.NodeRepo
	quotas  biz.QuotaRepo
	outbox  biz.OutboxRepo
	tx      biz.Transaction
	policy  *biz.Policy
	clock   *fakeClock
	node    *biz.NodeUsecase
	trash   *biz.TrashUsecase
	quota   *biz.QuotaUsecase
}

func defaultPolicy() *biz.Policy {
	return &biz.Policy{DefaultQuota: 10 * gib, TrashRetention: 30 * 24 * time.Hour, QuotaWarnRatio: 0.9}
}

func newFx(t testing.TB, b backend, p *biz.Policy) *fx {
	t.Helper()
	if p == nil {
		p = defaultPolicy()
	}
	db := b.open(t)
	d := &data.Data{DB: db}
	f := &fx{t: t, ctx: context.Background(), backend: b.name, db: db, policy: p, clock: newFakeClock()}
	f.tx = data.NewTransaction(d)
	f.nodes = data.NewNodeRepo(d)
	f.quotas = data.NewQuotaRepo(d)
	f.outbox = data.NewOutboxRepo(d)
	logger := log.NewStdLogger(io.Discard)
	clock := biz.Clock(f.clock.Now)
	f.quota = biz.NewQuotaUsecase(f.quotas, f.outbox, p, clock, logger)
	feed, versions := biz.NewFeed(data.NewChangeRepo(d), f.nodes), data.NewVersionRepo(d)
	f.node = biz.NewNodeUsecase(f.nodes, f.quota, f.outbox, feed, versions, f.tx, clock, logger)
	f.trash = biz.NewTrashUsecase(f.nodes, f.quotas, f.outbox, feed, versions, f.tx, p, clock, logger)
	return f
}

// eachBackend runs fn on MariaDB and on SQLite, each on a fresh database.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fx)) {
	eachBackendPolicy(t, nil, fn)
}

func eachBackendPolicy(t *testing.T, p func() *biz.Policy, fn func(t *testing.T, f *fx)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			var pol *biz.Policy
			if p != nil {
				pol = p()
			}
			fn(t, newFx(t, b, pol))
		})
	}
}

// slow skips a heavy test under -short (MariaDB skips itself there anyway).
func slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: skipped with -short")
	}
}

func (f *fx) mkdir(owner, parent int64, name string) *biz.Node {
	f.t.Helper()
	n, err := f.node.Mkdir(f.ctx, owner, parent, name, false)
	if err != nil {
		f.t.Fatalf("Mkdir(%d, %d, %q): %v", owner, parent, name, err)
	}
	return n
}

func (f *fx) file(owner, parent int64, name string, size int64) *biz.Node {
	f.t.Helper()
	n, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: owner, Parent: parent, Name: name, Size: size,
		ContentHash: hashOf(name), Mime: "application/octet-stream"})
	if err != nil {
		f.t.Fatalf("CreateFile(%d, %d, %q, %d): %v", owner, parent, name, size, err)
	}
	return n
}

func (f *fx) del(owner int64, ids ...int64) {
	f.t.Helper()
	if _, err := f.trash.Delete(f.ctx, owner, ids); err != nil {
		f.t.Fatalf("Delete(%d, %v): %v", owner, ids, err)
	}
}

func (f *fx) setLimit(owner, limit int64) {
	f.t.Helper()
	if _, err := f.quota.SetLimit(f.ctx, owner, limit); err != nil {
		f.t.Fatalf("SetLimit(%d, %d): %v", owner, limit, err)
	}
}

func (f *fx) used(owner int64) int64 {
	f.t.Helper()
	q, err := f.quota.Usage(f.ctx, owner)
	if err != nil {
		f.t.Fatalf("Usage(%d): %v", owner, err)
	}
	return q.Used
}

func (f *fx) stat(owner, id int64) *biz.Node {
	f.t.Helper()
	n, err := f.node.Stat(f.ctx, owner, id)
	if err != nil {
		f.t.Fatalf("Stat(%d, %d): %v", owner, id, err)
	}
	return n
}

// hashOf is a fake 64-hex content hash derived from s.
func hashOf(s string) string {
	return fmt.Sprintf("%064x", []byte(s + "                                ")[:32])
}

// count runs SELECT COUNT(*) on table with an optional condition.
func (f *fx) count(table, where string, args ...any) int64 {
	f.t.Helper()
	var n int64
	q := f.db.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		f.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func (f *fx) outboxRows() int64 { return f.count("outbox", "") }

// events decodes the outbox, oldest first.
func (f *fx) events() []*eventsv1.FileEvent {
	f.t.Helper()
	var rows []struct {
		Topic   string
		Key     string
		Payload []byte
	}
	if err := f.db.Table("outbox").Order("id").Find(&rows).Error; err != nil {
		f.t.Fatalf("read outbox: %v", err)
	}
	out := make([]*eventsv1.FileEvent, len(rows))
	for i, r := range rows {
		e := &eventsv1.FileEvent{}
		if err := proto.Unmarshal(r.Payload, e); err != nil {
			f.t.Fatalf("outbox row %d: %v", i, err)
		}
		if r.Key != fmt.Sprint(e.GetOwnerId()) || r.Topic != events.TopicFile {
			f.t.Fatalf("outbox row %d: topic %q key %q for owner %d", i, r.Topic, r.Key, e.GetOwnerId())
		}
		out[i] = e
	}
	return out
}

// listAll pages through a folder and returns every entry in order.
func (f *fx) listAll(owner, parent int64, order string, desc bool, size int) []*biz.Node {
	f.t.Helper()
	var out []*biz.Node
	q := biz.ListQuery{Owner: owner, Parent: parent, OrderBy: order, Desc: desc, Limit: size}
	for pages := 0; ; pages++ {
		if pages > 1_000_000 {
			f.t.Fatalf("List never ends")
		}
		p, err := f.node.List(f.ctx, q)
		if err != nil {
			f.t.Fatalf("List(%+v): %v", q, err)
		}
		if len(p.Items) > size {
			f.t.Fatalf("List returned %d items for page size %d", len(p.Items), size)
		}
		out = append(out, p.Items...)
		if p.Next == nil {
			return out
		}
		q.After = p.Next
	}
}

func names(ns []*biz.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

func sortedNames(ns []*biz.Node) []string {
	out := names(ns)
	sort.Strings(out)
	return out
}

// snapshot is everything the file service stores, to prove an operation
// changed nothing.
type snapshot struct {
	Nodes  []map[string]any
	Quotas []map[string]any
	Outbox int64
}

func (f *fx) snapshot() snapshot {
	f.t.Helper()
	var s snapshot
	if err := f.db.Table("nodes").Order("id").Find(&s.Nodes).Error; err != nil {
		f.t.Fatalf("snapshot nodes: %v", err)
	}
	if err := f.db.Table("quotas").Order("owner_id").Find(&s.Quotas).Error; err != nil {
		f.t.Fatalf("snapshot quotas: %v", err)
	}
	s.Outbox = f.outboxRows()
	return s
}

func (f *fx) sameAs(what string, before snapshot) {
	f.t.Helper()
	after := f.snapshot()
	if got, want := fmt.Sprint(after), fmt.Sprint(before); got != want {
		f.t.Errorf("%s changed the database:\nbefore %s\nafter  %s", what, want, got)
	}
}

// reason is an error check by reason helper, with its name for messages.
type reason struct {
	name string
	is   func(error) bool
}

var (
	nodeNotFound   = reason{"NODE_NOT_FOUND", v1.IsNodeNotFound}
	parentNotFound = reason{"PARENT_NOT_FOUND", v1.IsParentNotFound}
	nameConflict   = reason{"NAME_CONFLICT", v1.IsNameConflict}
	invalidName    = reason{"INVALID_NAME", v1.IsInvalidName}
	notAFolder     = reason{"NOT_A_FOLDER", v1.IsNotAFolder}
	moveIntoSelf   = reason{"MOVE_INTO_SELF", v1.IsMoveIntoSelf}
	quotaExceeded  = reason{"QUOTA_EXCEEDED", v1.IsQuotaExceeded}
	notInTrash     = reason{"NOT_IN_TRASH", v1.IsNotInTrash}
)

func wantReason(t testing.TB, what string, err error, r reason) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, r.name)
		return
	}
	if !r.is(err) {
		t.Errorf("%s: %v, want %s", what, err, r.name)
	}
}

func ok(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
