package notify_test

// The production path of a notification, with the real modules: the file
// service (SQLite) driven through its gRPC API writes QUOTA_WARNING to its
// outbox in the transaction that charges the quota, its relay publishes the
// outbox to Kafka (sarama, against kfake), and the notify service's consumer
// group (notify.NewConsumer) turns it into one notification, read back
// through notify's own gRPC API. Only the user service is faked.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "clouddrive/api/common/v1"
	eventsv1 "clouddrive/api/events/v1"
	filev1 "clouddrive/api/file/v1"
	notifyv1 "clouddrive/api/notify/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/file"
	"clouddrive/app/notify"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
	"clouddrive/pkg/testkit"
)

const pipelineSecret = "pipeline-internal-secret"

// The users of the pipeline tests.
const (
	pipeAdmin int64 = 1
	pipeAlice int64 = 71
	pipeBob   int64 = 72
)

// pipelineUsersFake is the user service's internal API: GetUser from a map,
// with the internal secret checked as the real one does.
type pipelineUsersFake struct {
	users map[int64]*userv1.UserInfo
}

func newPipelineUsersFake() *pipelineUsersFake {
	return &pipelineUsersFake{users: map[int64]*userv1.UserInfo{
		pipeAdmin: {Id: "1", Username: "root", Nickname: "Root", Role: "admin"},
		pipeAlice: {Id: "71", Username: "alice", Nickname: "Alice"},
		pipeBob:   {Id: "72", Username: "bob", Nickname: "Bob"},
	}}
}

func (f *pipelineUsersFake) GetUser(ctx context.Context, in *userv1.GetUserRequest, _ ...grpc.CallOption) (*userv1.UserInfo, error) {
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get(auth.InternalHeader); len(got) != 1 || got[0] != pipelineSecret {
		return nil, commonv1.ErrorForbidden("internal operation")
	}
	id, _ := strconv.ParseInt(in.GetUserId(), 10, 64)
	u, ok := f.users[id]
	if !ok {
		return nil, userv1.ErrorUserNotFound("no such user")
	}
	return proto.Clone(u).(*userv1.UserInfo), nil
}

func (f *pipelineUsersFake) LookupUser(context.Context, *userv1.LookupUserRequest, ...grpc.CallOption) (*userv1.UserInfo, error) {
	return nil, status.Error(codes.Unimplemented, "not in this fake")
}

func (f *pipelineUsersFake) AppPasswordToken(context.Context, *userv1.AppPasswordTokenRequest, ...grpc.CallOption) (*userv1.AppPasswordTokenReply, error) {
	return nil, status.Error(codes.Unimplemented, "not in this fake")
}

// pipelineLog collects both services' log, shown when a test fails.
type pipelineLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *pipelineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *pipelineLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func (l *pipelineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pipeline is the file and notify modules on SQLite, both served by one
// in-process gRPC server with the production middleware.
type pipeline struct {
	t         *testing.T
	logs      *pipelineLog
	logger    log.Logger
	fileDB    string
	notifyCfg *notify.Config
	notes     *notify.Module
	issuer    *auth.Issuer
	admin     filev1.FileAdminClient
	internal  filev1.FileInternalClient
	notify    notifyv1.NotifyClient
}

// run starts a kratos server until the test ends.
func run(t *testing.T, s transport.Server) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Start(context.Background())
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		select {
		case <-done:
		case <-ctx.Done():
			t.Errorf("%T did not stop within 10s", s)
		}
	})
}

// newPipeline builds the file module publishing to pub and running its
// relay, and the notify module (not consuming yet).
func newPipeline(t *testing.T, pub events.Publisher) *pipeline {
	t.Helper()
	dir := t.TempDir()
	p := &pipeline{t: t, logs: &pipelineLog{}, fileDB: filepath.Join(dir, "file.db")}
	p.logger = log.NewStdLogger(p.logs)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", p.logs.String())
		}
	})

	fc, err := file.LoadConfig("")
	if err != nil {
		t.Fatalf("file.LoadConfig: %v", err)
	}
	fc.Data.Database.Driver = "sqlite"
	fc.Data.Database.Source = p.fileDB
	fc.Data.Redis.Addr = ""
	files, cleanupFiles, err := file.New(fc, pub, p.logger)
	if err != nil {
		t.Fatalf("file.New: %v", err)
	}
	t.Cleanup(cleanupFiles)
	for _, s := range files.Servers() { // the janitor and the outbox relay
		run(t, s)
	}

	nc, err := notify.LoadConfig("")
	if err != nil {
		t.Fatalf("notify.LoadConfig: %v", err)
	}
	nc.Data.Database.Driver = "sqlite"
	nc.Data.Database.Source = filepath.Join(dir, "notify.db")
	nc.Data.Redis.Addr = ""
	nc.Auth.InternalSecret = pipelineSecret
	p.notifyCfg = nc
	notes, cleanupNotify, err := notify.New(nc, newPipelineUsersFake(), p.logger)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	t.Cleanup(cleanupNotify)
	p.notes = notes

	pubKey, privKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.issuer = auth.NewIssuer(privKey, time.Hour)
	gs := apiserver.NewGRPCServer("127.0.0.1:0", 10*time.Second, apiserver.Config{Logger: p.logger,
		Auth: auth.Options{Verifier: auth.NewVerifier(pubKey), InternalSecret: pipelineSecret, Logger: p.logger}})
	files.RegisterGRPC(gs)
	notes.RegisterGRPC(gs)
	ep, err := gs.Endpoint()
	if err != nil {
		t.Fatalf("gRPC listen: %v", err)
	}
	run(t, gs)
	conn, err := grpc.NewClient(ep.Host, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithNoProxy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	p.admin = filev1.NewFileAdminClient(conn)
	p.internal = filev1.NewFileInternalClient(conn)
	p.notify = notifyv1.NewNotifyClient(conn)
	return p
}

// consume joins notify's consumer group on brokers, as cmd/notify does.
func (p *pipeline) consume(brokers []string) {
	p.t.Helper()
	p.notifyCfg.Events.Brokers = brokers
	c, err := notify.NewConsumer(p.notifyCfg, p.notes, p.logger)
	if err != nil {
		p.t.Fatalf("notify.NewConsumer: %v", err)
	}
	run(p.t, c)
}

func (p *pipeline) ctx(md ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	p.t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, md...)
}

func (p *pipeline) as(uid int64, role string) context.Context {
	p.t.Helper()
	tok, err := p.issuer.Issue(auth.Caller{UserID: uid, Role: role})
	if err != nil {
		p.t.Fatal(err)
	}
	return p.ctx("authorization", "Bearer "+tok)
}

func (p *pipeline) setQuota(uid, limit int64) {
	p.t.Helper()
	r, err := p.admin.SetQuota(p.as(pipeAdmin, auth.RoleAdmin), &filev1.SetQuotaRequest{UserId: strconv.FormatInt(uid, 10), LimitBytes: limit})
	if err != nil || r.GetLimitBytes() != limit {
		p.t.Fatalf("SetQuota(%d, %d) = %v, %v", uid, limit, r, err)
	}
}

// createFile records a finished upload of size bytes, as storage does.
func (p *pipeline) createFile(uid int64, name string, size int64) (*filev1.Node, error) {
	p.t.Helper()
	return p.internal.CreateFile(p.ctx(auth.InternalHeader, pipelineSecret), &filev1.CreateFileRequest{
		OwnerId: strconv.FormatInt(uid, 10), Name: name, Size: size, Mime: "application/octet-stream",
		ContentHash: fmt.Sprintf("%064x", size*7919+int64(len(name)))})
}

func (p *pipeline) mustCreate(uid int64, name string, size int64) {
	p.t.Helper()
	if _, err := p.createFile(uid, name, size); err != nil {
		p.t.Fatalf("CreateFile(%d, %q, %d): %v", uid, name, size, err)
	}
}

// list lists uid's notifications through notify's API.
func (p *pipeline) list(uid int64) []*notifyv1.Notification {
	p.t.Helper()
	r, err := p.notify.ListNotifications(p.as(uid, auth.RoleUser), &notifyv1.ListNotificationsRequest{PageSize: 200})
	if err != nil {
		p.t.Fatalf("ListNotifications as %d: %v", uid, err)
	}
	return r.GetItems()
}

func (p *pipeline) unread(uid int64) int64 {
	p.t.Helper()
	r, err := p.notify.UnreadCount(p.as(uid, auth.RoleUser), &notifyv1.UnreadCountRequest{})
	if err != nil {
		p.t.Fatalf("UnreadCount as %d: %v", uid, err)
	}
	return r.GetCount()
}

// outbox is the file service's outbox: unsent rows, and the quota
// warnings among all rows.
func (p *pipeline) outbox() (unsent int, warnings []*eventsv1.FileEvent, unsentWarnings int) {
	p.t.Helper()
	db, err := database.Open(database.Config{Driver: "sqlite", Source: p.fileDB})
	if err != nil {
		p.t.Fatal(err)
	}
	defer func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	}()
	var rows []events.OutboxRecord
	if err := db.Order("id").Find(&rows).Error; err != nil {
		p.t.Fatal(err)
	}
	for _, r := range rows {
		var e eventsv1.FileEvent
		if err := proto.Unmarshal(r.Payload, &e); err != nil {
			p.t.Fatalf("outbox row %d: %v", r.ID, err)
		}
		if r.SentAt == nil {
			unsent++
		}
		if e.GetType() == eventsv1.FileEvent_QUOTA_WARNING {
			warnings = append(warnings, &e)
			if r.SentAt == nil {
				unsentWarnings++
			}
		}
	}
	return unsent, warnings, unsentWarnings
}

// resend marks every outbox row unsent again: a relay that crashed after
// publishing and before marking its batch sends it all again.
func (p *pipeline) resend() {
	p.t.Helper()
	db, err := database.Open(database.Config{Driver: "sqlite", Source: p.fileDB})
	if err != nil {
		p.t.Fatal(err)
	}
	defer func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	}()
	if err := db.Model(&events.OutboxRecord{}).Where("sent_at IS NOT NULL").Update("sent_at", nil).Error; err != nil {
		p.t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// quotaWarnings is uid's quota_warning notifications as "used/limit".
func (p *pipeline) quotaWarnings(uid int64) []string {
	p.t.Helper()
	var out []string
	for _, n := range p.list(uid) {
		if n.GetKind() != "quota_warning" {
			p.t.Errorf("user %d has a %q notification: %v", uid, n.GetKind(), n)
			continue
		}
		out = append(out, n.GetData()["used_bytes"]+"/"+n.GetData()["limit_bytes"])
	}
	return out
}

func pipelineCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// A user crosses 90% of a small quota through the file service's API: the
// QUOTA_WARNING goes outbox → relay → Kafka → notify's consumer group and
// becomes exactly one notification; a relay that sends its outbox again
// (crashed before marking it) makes no second one.
func TestPipelineQuotaWarningOverKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("kfake cluster: skipped with -short")
	}
	start := time.Now()
	brokers := pipelineCluster(t, kfake.NumBrokers(1)).ListenAddrs()
	pub, err := events.NewKafkaPublisher(brokers, events.KafkaConfig("file"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	p := newPipeline(t, pub)
	p.consume(brokers)

	// Only an admin sets quotas; only the internal secret creates files.
	_, err = p.admin.SetQuota(p.as(pipeAlice, auth.RoleUser), &filev1.SetQuotaRequest{UserId: "71", LimitBytes: 1})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("SetQuota as a user: %v, want PermissionDenied", err)
	}
	_, err = p.internal.CreateFile(p.as(pipeAdmin, auth.RoleAdmin), &filev1.CreateFileRequest{OwnerId: "71", Name: "x",
		Size: 1, ContentHash: strings.Repeat("a", 64)})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("CreateFile without the internal secret: %v, want PermissionDenied", err)
	}

	p.setQuota(pipeAlice, 1000)
	p.setQuota(pipeBob, 1000)
	p.mustCreate(pipeAlice, "half.bin", 500) // 50%
	p.mustCreate(pipeBob, "little.bin", 100) // 10%: bob hears nothing
	p.mustCreate(pipeAlice, "over.bin", 420) // 92%: the warning
	p.mustCreate(pipeAlice, "more.bin", 30)  // 95%: still above, no second one
	// (The HTTP status rides in the metadata: apierror.FromRemote reads it.)
	if _, err := p.createFile(pipeAlice, "toolarge.bin", 51); !filev1.IsQuotaExceeded(apierror.FromRemote(err)) {
		t.Errorf("CreateFile past the quota: %v, want 413 QUOTA_EXCEEDED", err)
	}
	made := time.Now()
	_, warnings, _ := p.outbox()
	if len(warnings) != 1 || warnings[0].GetOwnerId() != pipeAlice || warnings[0].GetUsedBytes() != 920 || warnings[0].GetLimitBytes() != 1000 {
		t.Fatalf("the outbox holds the quota warnings %v, want one for alice at 920/1000", warnings)
	}

	took := waitUntil(t, "alice's quota warning", 20*time.Second, func() bool { return len(p.list(pipeAlice)) > 0 })
	t.Logf("the notification showed %v after the change", took.Round(time.Millisecond))
	waitUntil(t, "the whole outbox sent", 10*time.Second, func() bool { u, _, _ := p.outbox(); return u == 0 })
	time.Sleep(500 * time.Millisecond) // anything left in flight lands
	if got := p.quotaWarnings(pipeAlice); len(got) != 1 || got[0] != "920/1000" {
		t.Fatalf("alice's notifications = %q, want one quota warning 920/1000", got)
	}
	n := p.list(pipeAlice)[0]
	if n.GetTitle() == "" || n.GetBody() == "" || n.GetRead() {
		t.Errorf("the notification %v: want a title, a body, unread", n)
	}
	if u := p.unread(pipeAlice); u != 1 {
		t.Errorf("alice's unread count = %d, want 1", u)
	}
	if got := p.list(pipeBob); len(got) != 0 {
		t.Errorf("bob has notifications %v", got)
	}

	// The relay sends the whole outbox again. Then alice crosses 90% of a
	// raised quota: her events share a partition, in order, so once the
	// new warning shows the repeated ones were handled before it.
	p.resend()
	waitUntil(t, "the outbox sent again", 10*time.Second, func() bool { u, _, _ := p.outbox(); return u == 0 })
	p.setQuota(pipeAlice, 2000)
	p.mustCreate(pipeAlice, "again.bin", 900) // 950 → 1850 of 2000: 92.5%
	waitUntil(t, "alice's second warning", 20*time.Second, func() bool { return len(p.list(pipeAlice)) >= 2 })
	waitUntil(t, "the whole outbox sent", 10*time.Second, func() bool { u, _, _ := p.outbox(); return u == 0 })
	time.Sleep(500 * time.Millisecond)
	got := p.quotaWarnings(pipeAlice)
	if len(got) != 2 || got[0] != "1850/2000" || got[1] != "920/1000" {
		t.Errorf("alice's notifications after a redelivery and a second crossing = %q, want [1850/2000 920/1000]", got)
	}
	if u := p.unread(pipeAlice); u != 2 {
		t.Errorf("alice's unread count = %d, want 2", u)
	}
	if got := p.list(pipeBob); len(got) != 0 {
		t.Errorf("bob has notifications %v", got)
	}
	t.Logf("changes made %v after start; done in %v", made.Sub(start).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// Kafka is down while the change is made: the outbox keeps the warning, the
// relay keeps trying, and once a broker listens there it arrives, once.
func TestPipelineOutboxKeepsEventsWhileKafkaIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("kfake cluster: skipped with -short")
	}
	start := time.Now()
	addr := testkit.FreeAddr(t) // nothing listens there
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	pub, err := events.NewKafkaPublisher([]string{addr}, events.KafkaConfig("file"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	p := newPipeline(t, pub)

	p.setQuota(pipeAlice, 1000)
	p.mustCreate(pipeAlice, "big.bin", 950) // 95%: the warning
	failed := p.logs.count("publishing the outbox failed")
	waitUntil(t, "the relay to fail twice more", 15*time.Second, func() bool {
		return p.logs.count("publishing the outbox failed") >= failed+2
	})
	unsent, warnings, unsentWarnings := p.outbox()
	if len(warnings) != 1 || unsentWarnings != 1 || unsent < 2 {
		t.Fatalf("with Kafka down the outbox holds %d unsent rows and warnings %v (%d unsent); want the file's and the warning's, unsent",
			unsent, warnings, unsentWarnings)
	}
	if got := p.list(pipeAlice); len(got) != 0 {
		t.Fatalf("a notification with Kafka down: %v", got)
	}
	down := time.Since(start)

	// A broker comes up where the relay has been knocking.
	pipelineCluster(t, kfake.Ports(port))
	up := time.Now()
	p.consume([]string{addr})
	took := waitUntil(t, "alice's quota warning once Kafka is up", 25*time.Second, func() bool { return len(p.list(pipeAlice)) > 0 })
	t.Logf("Kafka down %v; the notification showed %v after it came up", down.Round(time.Millisecond), took.Round(time.Millisecond))
	waitUntil(t, "the whole outbox sent", 10*time.Second, func() bool { u, _, _ := p.outbox(); return u == 0 })
	time.Sleep(500 * time.Millisecond)
	if got := p.quotaWarnings(pipeAlice); len(got) != 1 || got[0] != "950/1000" {
		t.Errorf("alice's notifications = %q, want one quota warning 950/1000", got)
	}
	if u := p.unread(pipeAlice); u != 1 {
		t.Errorf("alice's unread count = %d, want 1", u)
	}
	t.Logf("done %v after Kafka came up, %v in all", time.Since(up).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
