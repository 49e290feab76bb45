package standalone_test

// The hostile suite: every RPC linked into the binary (read from the protos,
// so a new RPC is covered the day it is added) and every raw byte route,
// over HTTP and gRPC, called by an attacker with no token, with the victim's
// ids, with wrong types, oversized bodies and messages, and unicode edge
// cases. The server must never answer 5xx nor crash, never show the
// attacker a name of the victim's, and nothing of the victim's may change.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	_ "clouddrive/api/file/v1"
	_ "clouddrive/api/notify/v1"
	_ "clouddrive/api/share/v1"
	sv1 "clouddrive/api/storage/v1"
	_ "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

// hostileRPC is one RPC as the suite sees it.
type hostileRPC struct {
	md         protoreflect.MethodDescriptor
	op         string // /package.Service/Method
	access     auth.Access
	verb, path string // the HTTP rule; "" when there is none
}

// hostileRPCs lists every RPC of the drive linked into this test binary.
func hostileRPCs(t *testing.T) []hostileRPC {
	var out []hostileRPC
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "clouddrive.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			s := fd.Services().Get(i)
			for j := 0; j < s.Methods().Len(); j++ {
				md := s.Methods().Get(j)
				r := hostileRPC{md: md, op: "/" + string(s.FullName()) + "/" + string(md.Name()), access: auth.MethodAccess(md)}
				if rule, ok := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule); ok && rule != nil {
					switch p := rule.GetPattern().(type) {
					case *annotations.HttpRule_Get:
						r.verb, r.path = http.MethodGet, p.Get
					case *annotations.HttpRule_Post:
						r.verb, r.path = http.MethodPost, p.Post
					case *annotations.HttpRule_Put:
						r.verb, r.path = http.MethodPut, p.Put
					case *annotations.HttpRule_Delete:
						r.verb, r.path = http.MethodDelete, p.Delete
					case *annotations.HttpRule_Patch:
						r.verb, r.path = http.MethodPatch, p.Patch
					}
				}
				out = append(out, r)
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].op < out[j].op })
	if len(out) < 40 {
		t.Fatalf("only %d RPCs found: are the api packages linked?", len(out))
	}
	return out
}

// idField says a field holds an id, a token or a list of them.
func idField(fd protoreflect.FieldDescriptor) bool {
	n := string(fd.Name())
	return fd.Kind() == protoreflect.StringKind &&
		(n == "id" || n == "ids" || n == "token" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_ids") ||
			strings.HasSuffix(n, "_token"))
}

// hostileUnicode are strings every string field gets (valid UTF-8: gRPC
// carries no other; HTTP bodies also get raw invalid bytes).
var hostileUnicode = []string{
	"\x00", "a\x00b", "..", "../../../etc/passwd", "%2e%2e%2f", "a/b", `a\b`, "\u202eexe.txt", "名字.txt",
	strings.Repeat("😀", 80), strings.Repeat("é", 300), " ", "\t\n", "e\u0301", "\ufeff", "CON", strings.Repeat("a", 5000),
}

// fieldsJSON is a flat request with every id-like field set to id and the
// others to harmless values, as grpc-transcode would read it.
func fieldsJSON(md protoreflect.MessageDescriptor, id string) map[string]any {
	m := map[string]any{}
	fs := md.Fields()
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		name := string(fd.Name())
		switch {
		case idField(fd) && fd.IsList():
			m[name] = []string{id}
		case idField(fd):
			m[name] = id
		case fd.Kind() == protoreflect.StringKind && name == "name" && !fd.IsList():
			m[name] = "hostile.txt"
		}
	}
	return m
}

// fill sets a dynamic message from fieldsJSON's values.
func fillMessage(msg *dynamicpb.Message, id string) {
	fs := msg.Descriptor().Fields()
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		switch {
		case idField(fd) && fd.IsList():
			l := msg.Mutable(fd).List()
			l.Append(protoreflect.ValueOfString(id))
		case idField(fd):
			msg.Set(fd, protoreflect.ValueOfString(id))
		case fd.Kind() == protoreflect.StringKind && string(fd.Name()) == "name" && !fd.IsList():
			msg.Set(fd, protoreflect.ValueOfString("hostile.txt"))
		}
	}
}

// wrongTypes are JSON values of the wrong type for a field of kind k.
func wrongTypes(fd protoreflect.FieldDescriptor) []any {
	switch {
	case fd.IsList():
		return []any{"not a list", map[string]any{"a": 1}}
	case fd.Kind() == protoreflect.StringKind:
		return []any{12345, []any{"x"}, map[string]any{"a": 1}, true}
	case fd.Kind() == protoreflect.BoolKind:
		return []any{"yes", 3, []any{true}}
	case fd.Kind() == protoreflect.MessageKind:
		return []any{"text", 1, []any{1}}
	default: // numbers
		return []any{"abc", 1.5, "9223372036854775808", []any{1}, map[string]any{}}
	}
}

// hostileWorld is the victim, the attacker and what the attacker must
// never see or change.
type hostileWorld struct {
	e        *env
	victim   *storeUser
	attacker *storeUser
	ids      map[string]string // what each id is → the victim's id
	secret   string            // a name of the victim's nobody else may see
	before   string            // the victim's snapshot
	extra    func() string     // the victim's state beyond the tree

	httpCalls, grpcCalls, refused int
}

func TestE2EHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	srv := startServer(t, bin)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}
	w := newHostileWorld(t, e)
	rpcs := hostileRPCs(t)
	t.Logf("%d RPCs under attack", len(rpcs))

	t.Run("http", func(t *testing.T) {
		for _, r := range rpcs {
			if r.path == "" {
				continue
			}
			t.Run(strings.TrimPrefix(r.path, "/v1/"), func(t *testing.T) { w.attackHTTP(t, r) })
		}
	})
	t.Run("grpc", func(t *testing.T) {
		for _, r := range rpcs {
			t.Run(strings.TrimPrefix(r.op, "/clouddrive."), func(t *testing.T) { w.attackGRPC(t, r) })
		}
	})
	t.Run("byte_routes", w.attackBytes)
	t.Logf("%d HTTP requests and %d gRPC calls made; %d answered 4xx", w.httpCalls, w.grpcCalls, w.refused)

	// Still up, never panicked, and the victim's drive is as it was.
	if r := w.attacker.c.with(t).get("/healthz", ""); r.status != http.StatusOK {
		t.Fatalf("the server is not healthy after the attack: %s", r)
	}
	if log := srv.log(t); strings.Contains(log, "panic") {
		t.Errorf("the server log shows a panic:\n%s", tail(log, 40))
	}
	v := w.victim.with(t)
	if after := v.snapshot() + w.extra(); after != w.before {
		t.Errorf("the victim's drive changed under the attack:\nbefore:\n%s\nafter:\n%s", w.before, after)
	}
}

func newHostileWorld(t *testing.T, e *env) *hostileWorld {
	w := &hostileWorld{e: e, victim: e.storeUser(t, "victim"), attacker: e.storeUser(t, "attacker"), ids: map[string]string{},
		secret: "secret-plans-7f3a.txt"}
	v := w.victim
	folder := v.mkdir("", "victim-folder")
	shared := v.uploadHTTP(folder.GetId(), "shared.txt", content{seed: 71, size: 3000})
	hidden := v.uploadHTTP("", w.secret, content{seed: 72, size: 5000})
	open := v.init("", "half-done.bin", content{seed: 73, size: 9 << 20}, content{seed: 73, size: 9 << 20}.hash())
	var share struct {
		Token string `json:"token"`
	}
	r := v.post("/v1/share/create", map[string]any{"node_id": shared.GetId(), "generate_code": true})
	if r.status != http.StatusOK || json.Unmarshal(r.body, &share) != nil {
		t.Fatalf("share: %s", r)
	}
	var ap struct {
		ID string `json:"id"`
	}
	if r := v.post("/v1/user/app_password", map[string]any{"name": "laptop"}); r.status == http.StatusOK {
		_ = json.Unmarshal(r.body, &ap)
	}
	w.ids = map[string]string{"folder": folder.GetId(), "file": shared.GetId(), "hidden": hidden.GetId(),
		"upload": open.GetUploadId(), "share": share.Token, "user": v.acct.id, "app_password": ap.ID,
		"numeric": "1", "huge": "99999999999999999999", "negative": "-1"}
	w.extra = func() string {
		var lines []string
		st := v.status(open.GetUploadId())
		lines = append(lines, fmt.Sprintf("upload %s held=%v", st.GetUploadId(), st.GetUploadedChunks()))
		for _, p := range []string{"/v1/share/list", "/v1/user/app_password/list", "/v1/user/me"} {
			r := v.get(p, nil)
			lines = append(lines, fmt.Sprintf("%s %d %s", p, r.status, stripVolatile(r.body)))
		}
		return "\n" + strings.Join(lines, "\n")
	}
	w.before = v.snapshot() + w.extra()
	return w
}

// stripVolatile drops what changes by itself (clocks, counters of public
// link visits) from a JSON answer.
func stripVolatile(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k := range x {
				if strings.HasSuffix(k, "_at") || k == "views" || k == "downloads" || k == "opens" {
					delete(x, k)
				} else {
					x[k] = strip(x[k])
				}
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	out, _ := json.Marshal(strip(v))
	return string(out)
}

// token is the attacker's access token, signed in again if an RPC of the
// suite ended its session (logout, password change).
func (w *hostileWorld) token(t *testing.T) string {
	a := w.attacker
	if r := a.c.with(t).get("/v1/user/me", a.tok); r.status == http.StatusUnauthorized {
		a.tok = w.e.login(t, a.c.with(t), a.acct).GetAccessToken()
	}
	return a.tok
}

// check fails on a 5xx, an answer that is not the error shape, or the
// victim's secret name in what the attacker got.
func (w *hostileWorld) check(t *testing.T, what string, r *response) {
	t.Helper()
	w.httpCalls++
	if r.status >= 400 && r.status < 500 {
		w.refused++
	}
	if r.status >= 500 {
		t.Errorf("%s: %s", what, r)
		return
	}
	if r.status >= 400 {
		var e apiError
		if err := json.Unmarshal(r.body, &e); err != nil || e.Reason == "" || e.Message == "" || e.Code != r.status {
			t.Errorf("%s: an error without the {code, reason, message} shape: %s", what, r)
		}
	}
	if strings.Contains(string(r.body), w.secret) {
		t.Errorf("%s: the attacker was shown the victim's %q: %s", what, w.secret, r)
	}
}

func (w *hostileWorld) send(t *testing.T, r hostileRPC, token string, fields map[string]any) *response {
	c := w.attacker.c.with(t)
	if r.verb == http.MethodGet {
		q := url.Values{}
		for k, v := range fields {
			switch x := v.(type) {
			case []string:
				q[k] = x
			default:
				q.Set(k, fmt.Sprint(x))
			}
		}
		p := r.path
		if len(q) > 0 {
			p += "?" + q.Encode()
		}
		return c.do(r.verb, p, token, nil)
	}
	return c.do(r.verb, r.path, token, fields)
}

func (w *hostileWorld) attackHTTP(t *testing.T, r hostileRPC) {
	c := w.attacker.c.with(t)
	in := r.md.Input()

	// No token.
	resp := w.send(t, r, "", map[string]any{})
	w.check(t, "no token", resp)
	if (r.access == auth.Bearer || r.access == auth.Admin) && resp.status != http.StatusUnauthorized {
		t.Errorf("no token: want 401, got %s", resp)
	}
	tok := w.token(t)

	// The victim's ids in every id field.
	for kind, id := range w.ids {
		w.check(t, "the victim's "+kind, w.send(t, r, tok, fieldsJSON(in, id)))
	}
	tok = w.token(t)

	// Wrong types, field by field (bodies only: a query string has no types).
	if r.verb != http.MethodGet {
		fs := in.Fields()
		for i := 0; i < fs.Len(); i++ {
			fd := fs.Get(i)
			for _, bad := range wrongTypes(fd) {
				resp := c.do(r.verb, r.path, tok, map[string]any{string(fd.Name()): bad})
				w.check(t, fmt.Sprintf("%s as %T", fd.Name(), bad), resp)
				if resp.status != http.StatusBadRequest && resp.status != http.StatusForbidden &&
					resp.status != http.StatusUnauthorized && resp.status != http.StatusTooManyRequests {
					t.Errorf("%s = %v: want 400, got %s", fd.Name(), bad, resp)
				}
			}
		}
		// Not JSON at all, invalid UTF-8, and an oversized body.
		for name, body := range map[string]string{"not json": "{", "invalid utf-8": "{\"name\":\"\xff\xfe\"}",
			"a list": "[1,2,3]", "deep": strings.Repeat("[", 10000)} {
			w.check(t, name, c.do(r.verb, r.path, tok, body))
		}
		big := `{"name":"` + strings.Repeat("a", 3<<20) + `"}`
		resp := c.do(r.verb, r.path, tok, big)
		w.check(t, "3 MiB body", resp)
		if resp.status != http.StatusRequestEntityTooLarge && resp.status != http.StatusBadRequest &&
			resp.status != http.StatusTooManyRequests && resp.status != http.StatusForbidden {
			t.Errorf("3 MiB body: want 413, got %s", resp)
		}
	} else {
		w.check(t, "64 KiB query", c.do(r.verb, r.path+"?id="+strings.Repeat("9", 64<<10), tok, nil))
	}
	tok = w.token(t)

	// Unicode edge cases in every string field.
	fs := in.Fields()
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		if fd.Kind() != protoreflect.StringKind {
			continue
		}
		for _, s := range hostileUnicode {
			var v any = s
			if fd.IsList() {
				v = []string{s}
			}
			w.check(t, fmt.Sprintf("%s = %.20q", fd.Name(), s), w.send(t, r, tok, map[string]any{string(fd.Name()): v}))
		}
	}
}

// grpcCheck fails on a status a client could not act on: the server's own
// failures (Internal, Unknown, DataLoss) or a dead connection.
func grpcCheck(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	switch status.Code(err) {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable:
		t.Errorf("%s: %v", what, err)
	}
	if e := kerrors.FromError(err); e.Code >= 500 && e.Code != http.StatusServiceUnavailable {
		t.Errorf("%s: %d %s %s", what, e.Code, e.Reason, e.Message)
	}
}

func (w *hostileWorld) invoke(t *testing.T, r hostileRPC, token string, msg *dynamicpb.Message) error {
	w.grpcCalls++
	g := w.attacker.g.with(t)
	ctx := g.ctx(token)
	md := r.md
	switch {
	case md.IsStreamingClient() || md.IsStreamingServer():
		desc := &grpc.StreamDesc{StreamName: string(md.Name()), ClientStreams: md.IsStreamingClient(), ServerStreams: md.IsStreamingServer()}
		st, err := g.conn.NewStream(ctx, desc, r.op)
		if err != nil {
			return err
		}
		if err := st.SendMsg(msg); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		_ = st.CloseSend()
		for i := 0; i < 3; i++ {
			if err := st.RecvMsg(dynamicpb.NewMessage(md.Output())); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
		return nil
	default:
		return g.conn.Invoke(ctx, r.op, msg, dynamicpb.NewMessage(md.Output()))
	}
}

func (w *hostileWorld) attackGRPC(t *testing.T, r hostileRPC) {
	in := r.md.Input()
	// No token.
	err := w.invoke(t, r, "", dynamicpb.NewMessage(in))
	grpcCheck(t, "no token", err)
	switch r.access {
	case auth.Bearer, auth.Admin:
		if e := kerrors.FromError(err); e.Code != http.StatusUnauthorized {
			t.Errorf("no token: want 401, got %v", err)
		}
	case auth.Internal:
		if e := kerrors.FromError(err); e.Code != http.StatusForbidden {
			t.Errorf("no secret: want 403, got %v", err)
		}
	}
	tok := w.token(t)
	if r.access == auth.Internal {
		// The attacker's token is no internal secret.
		msg := dynamicpb.NewMessage(in)
		fillMessage(msg, w.ids["user"])
		if e := kerrors.FromError(w.invoke(t, r, tok, msg)); e.Code != http.StatusForbidden {
			t.Errorf("a user's token on an internal RPC: want 403, got %d %s", e.Code, e.Reason)
		}
		return
	}
	for kind, id := range w.ids {
		msg := dynamicpb.NewMessage(in)
		fillMessage(msg, id)
		grpcCheck(t, "the victim's "+kind, w.invoke(t, r, tok, msg))
	}
	tok = w.token(t)
	// Unicode edge cases, and a message over the size limit.
	fs := in.Fields()
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		if fd.Kind() != protoreflect.StringKind {
			continue
		}
		for _, s := range append(hostileUnicode, strings.Repeat("b", 5<<20)) {
			msg := dynamicpb.NewMessage(in)
			if fd.IsList() {
				msg.Mutable(fd).List().Append(protoreflect.ValueOfString(s))
			} else {
				msg.Set(fd, protoreflect.ValueOfString(s))
			}
			grpcCheck(t, fmt.Sprintf("%s = %.20q", fd.Name(), s), w.invoke(t, r, tok, msg))
		}
	}
}

// attackBytes covers the raw routes: chunk PUTs and signed downloads.
func (w *hostileWorld) attackBytes(t *testing.T) {
	a := w.attacker.with(t)
	// Redirects are answers too (the router cleans "/../" into a redirect):
	// see them rather than follow them into the web app.
	noFollow := *a.big
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	a.big = &noFollow
	tok := w.token(t)
	own := a.init("", "mine.bin", content{seed: 90, size: 5 << 20}, content{seed: 90, size: 5 << 20}.hash())
	for _, tc := range []struct {
		what, path, token string
		body              string
	}{
		{"no token", chunkPath(own.GetUploadId(), 0), "", "x"},
		{"the victim's upload", chunkPath(w.ids["upload"], 0), tok, "x"},
		{"a negative index", "/v1/upload/" + own.GetUploadId() + "/-1", tok, "x"},
		{"a huge index", "/v1/upload/" + own.GetUploadId() + "/99999999999999999999", tok, "x"},
		{"an index out of range", chunkPath(own.GetUploadId(), 7), tok, "x"},
		{"a short chunk", chunkPath(own.GetUploadId(), 0), tok, "x"},
		{"a traversal id", "/v1/upload/..%2f..%2fetc/0", tok, "x"},
		{"a unicode id", "/v1/upload/%E5%90%8D/0", tok, "x"},
	} {
		r := a.raw(http.MethodPut, tc.path, tc.token, strings.NewReader(tc.body), int64(len(tc.body)))
		w.check(t, tc.what, r)
		if r.status < 300 {
			t.Errorf("%s: want a refusal, got %s", tc.what, r)
		}
	}
	// A chunk longer than it should be.
	long := strings.Repeat("z", 5<<20+10)
	r := a.raw(http.MethodPut, chunkPath(own.GetUploadId(), 0), tok, strings.NewReader(long), int64(len(long)))
	w.check(t, "a long chunk", r)
	if r.status != http.StatusBadRequest {
		t.Errorf("a long chunk: want 400, got %s", r)
	}
	// Downloads: unsigned, tampered, another user's node, hostile queries.
	good := a.fileURL(a.uploadHTTP("", "dl.bin", content{seed: 91, size: 1000}).GetId())
	u, _ := url.Parse(good)
	q := u.Query()
	q.Set("id", w.ids["hidden"])
	for what, p := range map[string]string{
		"unsigned":        "/v1/download/file?id=" + w.ids["hidden"],
		"another node":    u.Path + "?" + q.Encode(),
		"no query":        "/v1/download/file",
		"archive":         "/v1/download/archive?ids=" + w.ids["folder"],
		"garbage":         "/v1/download/file?%zz=%zz",
		"huge expiry":     u.Path + "?" + strings.Replace(u.RawQuery, "exp=", "exp=9", 1),
		"unicode":         "/v1/download/file?id=%E5%90%8D&sig=%F0%9F%98%80",
		"a signed folder": "/v1/download/archive?" + u.RawQuery,
	} {
		r := a.raw(http.MethodGet, p, "", nil, 0)
		w.check(t, what, r)
		if r.status < 400 {
			t.Errorf("%s: want a 4xx, got %s", what, r)
		}
	}
	// gRPC streams: a first message with a negative index, another's upload,
	// a chunk over the size, then nothing at all.
	st := sv1.NewStorageClient(a.g.conn)
	for what, msgs := range map[string][]*sv1.ChunkData{
		"a negative index":    {{UploadId: own.GetUploadId(), Index: -1, Data: []byte("x")}},
		"the victim's upload": {{UploadId: w.ids["upload"], Index: 0, Data: []byte("x")}},
		"no upload id":        {{Index: 0, Data: []byte("x")}},
		"a huge index":        {{UploadId: own.GetUploadId(), Index: 1 << 62, Data: []byte("x")}},
		"indexes going back":  {{UploadId: own.GetUploadId(), Index: 1, Data: []byte("x")}, {Index: 0, Data: []byte("y")}},
		"no message":          {},
	} {
		ctx, cancel := context.WithTimeout(bearerCtx(context.Background(), tok), 20*time.Second)
		s, err := st.UploadChunks(ctx)
		if err == nil {
			for _, m := range msgs {
				if err = s.Send(m); err != nil {
					break
				}
			}
			_, err = s.CloseAndRecv()
		}
		cancel()
		grpcCheck(t, what, err)
		if err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if os.Getenv("CLOUDDRIVE_HOSTILE_VERBOSE") != "" {
		t.Logf("victim ids: %v", w.ids)
	}
}
