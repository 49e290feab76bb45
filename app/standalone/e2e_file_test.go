package standalone_test

// The end-to-end test of the file service in the standalone drive: over real
// HTTP (and gRPC where the transport is the point) it checks that one user
// can never see or touch another's nodes (every route answers 404, exactly
// as for an id that does not exist), that traversal-like names are refused
// with a reason, the on_conflict rules, the admin quota, that the internal
// RPCs are neither routed over HTTP nor callable without the internal
// secret, and the JSON shape (proto field names, string ids).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	fv1 "clouddrive/api/file/v1"
)

const (
	fileList    = "/v1/file/list"
	fileStat    = "/v1/file/stat"
	filePath    = "/v1/file/path"
	fileMkdir   = "/v1/file/mkdir"
	fileRename  = "/v1/file/rename"
	fileMove    = "/v1/file/move"
	fileCopy    = "/v1/file/copy"
	fileDelete  = "/v1/file/delete"
	fileTrash   = "/v1/file/trash"
	fileRestore = "/v1/file/restore"
	filePurge   = "/v1/file/purge"
	fileEmpty   = "/v1/file/trash/empty"
	fileSearch  = "/v1/file/search"
	fileUsage   = "/v1/file/usage"
	quotaSet    = "/v1/admin/quota/set"
	quotaGet    = "/v1/admin/quota/get"
)

func TestE2EFile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	started := time.Now()
	srv := startServer(t, bin)
	t.Logf("standalone healthy in %v: http %s, grpc %s", time.Since(started).Round(time.Millisecond), srv.httpAddr, srv.grpcAddr)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		if e.admin.role != "admin" {
			t.Fatalf("the first account has role %q, want admin", e.admin.role)
		}
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}

	t.Run("json_shape", e.testFileJSON)
	t.Run("cross_user_isolation", e.testFileIsolation)
	t.Run("names", e.testFileNames)
	t.Run("on_conflict", e.testFileConflicts)
	t.Run("admin_quota", e.testFileQuota)
	t.Run("internal_rpcs", e.testFileInternal)
}

// ---------------------------------------------------------------------------
// A signed-in user of the file API.

type fileUser struct {
	t    *testing.T
	acct account
	tok  string
	c    *client
	g    *grpcClient
}

func (e *env) fileUser(t *testing.T, username string) *fileUser {
	t.Helper()
	c, g := e.clients(t)
	a := e.register(t, c, username, "")
	return &fileUser{t: t, acct: a, tok: e.login(t, c, a).GetAccessToken(), c: c, g: g}
}

func (u *fileUser) get(path string, q url.Values) *response {
	u.t.Helper()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return u.c.get(path, u.tok)
}

func (u *fileUser) post(path string, body any) *response {
	u.t.Helper()
	return u.c.post(path, u.tok, body)
}

func (u *fileUser) mkdir(parent, name string) *fv1.Node {
	u.t.Helper()
	var n fv1.Node
	u.c.ok(u.post(fileMkdir, map[string]string{"parent_id": parent, "name": name}), &n)
	if n.GetId() == "" || n.GetName() != name || n.GetParentId() != parent || n.GetKind() != "folder" {
		u.t.Fatalf("mkdir %q in %q: unexpected node %v", name, parent, &n)
	}
	return &n
}

func (u *fileUser) stat(id string) *fv1.Node {
	u.t.Helper()
	var n fv1.Node
	u.c.ok(u.get(fileStat, url.Values{"id": {id}}), &n)
	return &n
}

// list returns every live child of parent, following next_page_token.
func (u *fileUser) list(parent string) []*fv1.Node {
	u.t.Helper()
	var out []*fv1.Node
	token := ""
	for page := 0; ; page++ {
		if page > 100 {
			u.t.Fatalf("listing %q: more than 100 pages", parent)
		}
		var r fv1.ListReply
		u.c.ok(u.get(fileList, url.Values{"parent_id": {parent}, "page_size": {"1000"}, "page_token": {token}}), &r)
		out = append(out, r.GetItems()...)
		if token = r.GetNextPageToken(); token == "" {
			return out
		}
	}
}

func (u *fileUser) trash() []*fv1.Node {
	u.t.Helper()
	var r fv1.ListReply
	u.c.ok(u.get(fileTrash, url.Values{"page_size": {"1000"}}), &r)
	return r.GetItems()
}

func (u *fileUser) usage() *fv1.UsageReply {
	u.t.Helper()
	var r fv1.UsageReply
	u.c.ok(u.get(fileUsage, nil), &r)
	return &r
}

func names(ns []*fv1.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.GetName()
	}
	return out
}

func nodeLine(n *fv1.Node) string {
	return fmt.Sprintf("%s parent=%s name=%q kind=%s size=%d v=%d updated=%s trashed=%s",
		n.GetId(), n.GetParentId(), n.GetName(), n.GetKind(), n.GetSize(), n.GetVersion(), n.GetUpdatedAt(), n.GetTrashedAt())
}

// snapshot is everything the user can see: the live tree (walked from the
// root), the trash, the path of every live node, and the usage.
func (u *fileUser) snapshot() string {
	u.t.Helper()
	var lines []string
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		if depth > 20 {
			u.t.Fatalf("tree deeper than 20 under %q", parent)
		}
		for _, n := range u.list(parent) {
			lines = append(lines, "live "+nodeLine(n))
			var p fv1.PathReply
			u.c.ok(u.get(filePath, url.Values{"id": {n.GetId()}}), &p)
			lines = append(lines, "  path "+strings.Join(names(p.GetItems()), "/"))
			if n.GetKind() == "folder" {
				walk(n.GetId(), depth+1)
			}
		}
	}
	walk("", 0)
	for _, n := range u.trash() {
		lines = append(lines, "trash "+nodeLine(n))
	}
	us := u.usage()
	lines = append(lines, fmt.Sprintf("usage %d/%d", us.GetUsedBytes(), us.GetLimitBytes()))
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------
// (f) The JSON shape: proto field names, ids and int64 as strings, paging.

func (e *env) testFileJSON(t *testing.T) {
	u := e.fileUser(t, "fjson")
	top := u.mkdir("", "top")
	for _, name := range []string{"c", "a", "b"} {
		u.mkdir(top.GetId(), name)
	}

	r := u.post(fileMkdir, map[string]string{"parent_id": top.GetId(), "name": "d"})
	u.c.ok(r, nil)
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("mkdir reply is not a JSON object: %s", r)
	}
	if _, ok := raw["id"].(string); !ok {
		t.Errorf("mkdir reply: id is %T, want a JSON string: %s", raw["id"], r)
	}
	if p, ok := raw["parent_id"].(string); !ok || p != top.GetId() {
		t.Errorf("mkdir reply: parent_id = %#v, want the string %q: %s", raw["parent_id"], top.GetId(), r)
	}
	for _, camel := range []string{"parentId", "createdAt", "updatedAt", "contentHash", "trashedAt"} {
		if _, ok := raw[camel]; ok {
			t.Errorf("mkdir reply has the JSON name %q, want proto field names: %s", camel, r)
		}
	}
	for _, k := range []string{"created_at", "updated_at", "kind", "name", "version"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("mkdir reply lacks %q: %s", k, r)
		}
	}
	if v, ok := raw["version"].(string); !ok || v != "1" {
		t.Errorf("mkdir reply: version = %#v, want the string \"1\" (int64 in JSON): %s", raw["version"], r)
	}
	if at, _ := raw["created_at"].(string); at != "" {
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Errorf("created_at %q is not RFC 3339: %v", at, err)
		}
	}

	// A root folder has an empty parent_id.
	rs := u.get(fileStat, url.Values{"id": {top.GetId()}})
	u.c.ok(rs, nil)
	var st map[string]any
	_ = json.Unmarshal(rs.body, &st)
	if p, ok := st["parent_id"]; ok && p != "" {
		t.Errorf("a root folder's parent_id = %#v, want empty: %s", p, rs)
	}

	// Paging one at a time: next_page_token by its proto name, every entry once, in name order.
	var got []string
	token := ""
	for page := 0; page < 10; page++ {
		q := url.Values{"parent_id": {top.GetId()}, "page_size": {"1"}}
		if token != "" {
			q.Set("page_token", token)
		}
		r := u.get(fileList, q)
		u.c.ok(r, nil)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("list reply is not a JSON object: %s", r)
		}
		if _, ok := m["nextPageToken"]; ok {
			t.Errorf("list reply has nextPageToken, want next_page_token: %s", r)
		}
		if _, ok := m["items"]; !ok {
			t.Errorf("list reply lacks items: %s", r)
		}
		var lr fv1.ListReply
		u.c.ok(r, &lr)
		got = append(got, names(lr.GetItems())...)
		token = lr.GetNextPageToken()
		if token == "" {
			break
		}
		if _, ok := m["next_page_token"]; !ok {
			t.Errorf("list reply lacks next_page_token: %s", r)
		}
	}
	if want := "a b c d"; strings.Join(got, " ") != want {
		t.Errorf("paging by one gave %q, want %q", got, want)
	}

	// A token is bound to its order: reusing it with another order_by or desc is 400.
	var first fv1.ListReply
	u.c.ok(u.get(fileList, url.Values{"parent_id": {top.GetId()}, "page_size": {"1"}}), &first)
	tok := first.GetNextPageToken()
	if tok == "" {
		t.Fatal("no next_page_token for a page of 1 of 4")
	}
	for _, q := range []url.Values{
		{"parent_id": {top.GetId()}, "page_token": {tok}, "order_by": {"size"}},
		{"parent_id": {top.GetId()}, "page_token": {tok}, "desc": {"true"}},
		{"parent_id": {top.GetId()}, "page_token": {"not-a-token"}},
		{"parent_id": {top.GetId()}, "page_token": {tok[:len(tok)-3]}},
	} {
		u.c.fail(u.get(fileList, q), 400, "INVALID_PAGE_TOKEN")
	}
	u.c.fail(u.get(fileTrash, url.Values{"page_token": {tok}}), 400, "INVALID_PAGE_TOKEN")
	u.c.fail(u.get(fileSearch, url.Values{"q": {"a"}, "page_token": {tok}}), 400, "INVALID_PAGE_TOKEN")

	// Usage: int64 as strings, the default limit of 10 GiB.
	ru := u.get(fileUsage, nil)
	u.c.ok(ru, nil)
	var um map[string]any
	_ = json.Unmarshal(ru.body, &um)
	if um["used_bytes"] != "0" || um["limit_bytes"] != "10737418240" {
		t.Errorf("usage of a new user = %s, want used_bytes \"0\" and limit_bytes \"10737418240\"", ru.body)
	}

	// Without a token every route is 401.
	for _, p := range []string{fileList, fileStat + "?id=" + top.GetId(), fileUsage, fileTrash, fileSearch + "?q=a"} {
		u.c.fail(u.c.get(p, ""), 401, "UNAUTHENTICATED")
	}
	u.c.fail(u.c.post(fileMkdir, "", map[string]string{"name": "x"}), 401, "UNAUTHENTICATED")
}

// ---------------------------------------------------------------------------
// (a) Cross-user isolation.

// isoCase is one request of B's that names A's nodes.
type isoCase struct {
	name   string
	method string
	path   string
	query  url.Values
	body   any
	reason string
}

// isoCases are every route that takes an id, with a (A's top folder), deep
// (A's folder two levels down), gone (the top of a subtree A deleted),
// goneChild (a node inside it), and b, bTop (B's own nodes).
func isoCases(a, deep, gone, goneChild, b, bTop string) []isoCase {
	nf, pnf := "NODE_NOT_FOUND", "PARENT_NOT_FOUND"
	get := func(name, path string, q url.Values, reason string) isoCase {
		return isoCase{name: name, method: http.MethodGet, path: path, query: q, reason: reason}
	}
	post := func(name, path string, body any, reason string) isoCase {
		return isoCase{name: name, method: http.MethodPost, path: path, body: body, reason: reason}
	}
	ids := func(s ...string) []string { return s }
	return []isoCase{
		get("list A's folder", fileList, url.Values{"parent_id": {a}}, nf),
		get("list A's deep folder", fileList, url.Values{"parent_id": {deep}}, nf),
		get("list A's folder by size desc", fileList, url.Values{"parent_id": {a}, "order_by": {"size"}, "desc": {"true"}}, nf),
		get("list A's trashed folder", fileList, url.Values{"parent_id": {gone}}, nf),
		get("stat A's folder", fileStat, url.Values{"id": {a}}, nf),
		get("stat A's deep folder", fileStat, url.Values{"id": {deep}}, nf),
		get("stat A's trashed node", fileStat, url.Values{"id": {gone}}, nf),
		get("path of A's deep folder", filePath, url.Values{"id": {deep}}, nf),
		get("path of A's trashed child", filePath, url.Values{"id": {goneChild}}, nf),
		post("mkdir in A's folder", fileMkdir, map[string]string{"parent_id": a, "name": "intruder"}, pnf),
		post("mkdir in A's folder, rename on conflict", fileMkdir, map[string]string{"parent_id": deep, "name": "intruder", "on_conflict": "rename"}, pnf),
		post("mkdir in A's trashed folder", fileMkdir, map[string]string{"parent_id": gone, "name": "intruder"}, pnf),
		post("rename A's folder", fileRename, map[string]string{"id": a, "name": "pwned"}, nf),
		post("rename A's deep folder, rename on conflict", fileRename, map[string]string{"id": deep, "name": "pwned", "on_conflict": "rename"}, nf),
		post("rename A's trashed node", fileRename, map[string]string{"id": gone, "name": "pwned"}, nf),
		post("move A's folder to B's root", fileMove, map[string]any{"ids": ids(a), "parent_id": ""}, nf),
		post("move A's deep folder into B's folder", fileMove, map[string]any{"ids": ids(deep), "parent_id": bTop}, nf),
		post("move A's folder within A's tree", fileMove, map[string]any{"ids": ids(deep), "parent_id": a}, pnf),
		post("move B's node into A's folder", fileMove, map[string]any{"ids": ids(b), "parent_id": a}, pnf),
		post("move B's node into A's trashed folder", fileMove, map[string]any{"ids": ids(b), "parent_id": gone}, pnf),
		post("move B's and A's nodes together", fileMove, map[string]any{"ids": ids(b, a), "parent_id": bTop}, nf),
		post("copy A's folder to B's root", fileCopy, map[string]any{"ids": ids(a), "parent_id": ""}, nf),
		post("copy A's deep folder into B's folder", fileCopy, map[string]any{"ids": ids(deep), "parent_id": bTop, "on_conflict": "rename"}, nf),
		post("copy B's node into A's folder", fileCopy, map[string]any{"ids": ids(b), "parent_id": a}, pnf),
		post("copy B's and A's nodes together", fileCopy, map[string]any{"ids": ids(b, a), "parent_id": bTop}, nf),
		post("delete A's folder", fileDelete, map[string]any{"ids": ids(a)}, nf),
		post("delete A's deep folder", fileDelete, map[string]any{"ids": ids(deep)}, nf),
		post("delete A's trashed node", fileDelete, map[string]any{"ids": ids(gone)}, nf),
		post("delete B's and A's nodes together", fileDelete, map[string]any{"ids": ids(b, a)}, nf),
		post("restore A's trashed node", fileRestore, map[string]any{"ids": ids(gone)}, nf),
		post("restore A's trashed child", fileRestore, map[string]any{"ids": ids(goneChild)}, nf),
		post("restore A's live folder", fileRestore, map[string]any{"ids": ids(a)}, nf),
		post("purge A's trashed node", filePurge, map[string]any{"ids": ids(gone)}, nf),
		post("purge A's trashed child", filePurge, map[string]any{"ids": ids(goneChild)}, nf),
		post("purge A's live folder", filePurge, map[string]any{"ids": ids(a)}, nf),
	}
}

func (e *env) testFileIsolation(t *testing.T) {
	a := e.fileUser(t, "fiso-a")
	b := e.fileUser(t, "fiso-b")

	// A's tree: top/{docs/{deep/{leaf}}, photos}, and gone/{child} in the trash.
	aTop := a.mkdir("", "secret-a-top")
	aDocs := a.mkdir(aTop.GetId(), "secret-a-docs")
	aDeep := a.mkdir(aDocs.GetId(), "secret-a-deep")
	a.mkdir(aDeep.GetId(), "secret-a-leaf")
	a.mkdir(aTop.GetId(), "secret-a-photos")
	aGone := a.mkdir("", "secret-a-gone")
	aGoneChild := a.mkdir(aGone.GetId(), "secret-a-gone-child")
	var dr fv1.DeleteReply
	a.c.ok(a.post(fileDelete, map[string]any{"ids": []string{aGone.GetId()}}), &dr)
	if dr.GetTrashed() != 2 {
		t.Fatalf("A's delete trashed %d nodes, want 2", dr.GetTrashed())
	}
	// A renames a node so the tree holds a version above 1.
	a.c.ok(a.post(fileRename, map[string]string{"id": aDocs.GetId(), "name": "secret-a-docs2"}), nil)

	// B's own nodes, made after A's so their ids are larger.
	bTop := b.mkdir("", "b-top")
	bNode := b.mkdir("", "b-node")
	b.mkdir(bTop.GetId(), "secret-a-top") // a name A also uses, in B's tree

	beforeA, beforeB := a.snapshot(), b.snapshot()

	// An id that was never given out, larger than any: B's answers for A's
	// ids must be the same as for this one, byte for byte.
	ghost := func(k int) string { return fmt.Sprint(1_000_000_000 + k) }
	mine := isoCases(aTop.GetId(), aDeep.GetId(), aGone.GetId(), aGoneChild.GetId(), bNode.GetId(), bTop.GetId())
	fake := isoCases(ghost(1), ghost(2), ghost(3), ghost(4), bNode.GetId(), bTop.GetId())
	for i, tc := range mine {
		t.Run(tc.name, func(t *testing.T) {
			c := b.c.with(t)
			send := func(tc isoCase) *response {
				path := tc.path
				if len(tc.query) > 0 {
					path += "?" + tc.query.Encode()
				}
				return c.do(tc.method, path, b.tok, tc.body)
			}
			r := send(tc)
			got := c.fail(r, http.StatusNotFound, tc.reason)
			if got.Reason != "" && strings.Contains(got.Message, "secret-a") {
				t.Errorf("the refusal names A's node: %s", r)
			}
			// The same request with ids that do not exist answers the same.
			rf := send(fake[i])
			if rf.status != r.status || string(rf.body) != string(r.body) {
				t.Errorf("A's ids and unknown ids answer differently (existence is revealed):\n A's:     %s\n unknown: %s", r, rf)
			}
		})
	}

	// Over gRPC too.
	t.Run("grpc", func(t *testing.T) {
		fc := fv1.NewFileClient(b.g.conn)
		_, err := fc.Stat(b.g.with(t).ctx(b.tok), &fv1.StatRequest{Id: aTop.GetId()})
		grpcFail(t, "gRPC Stat of A's folder", err, 404, "NODE_NOT_FOUND")
		if status.Code(err) != codes.NotFound {
			t.Errorf("gRPC Stat of A's folder: status %v, want NotFound", status.Code(err))
		}
		_, err = fc.List(b.g.with(t).ctx(b.tok), &fv1.ListRequest{ParentId: aDeep.GetId()})
		grpcFail(t, "gRPC List of A's folder", err, 404, "NODE_NOT_FOUND")
		_, err = fc.Mkdir(b.g.with(t).ctx(b.tok), &fv1.MkdirRequest{ParentId: aTop.GetId(), Name: "intruder"})
		grpcFail(t, "gRPC Mkdir in A's folder", err, 404, "PARENT_NOT_FOUND")
		_, err = fc.Move(b.g.with(t).ctx(b.tok), &fv1.MoveRequest{Ids: []string{aDeep.GetId()}, ParentId: bTop.GetId()})
		grpcFail(t, "gRPC Move of A's folder", err, 404, "NODE_NOT_FOUND")
		_, err = fc.Purge(b.g.with(t).ctx(b.tok), &fv1.PurgeRequest{Ids: []string{aGone.GetId()}})
		grpcFail(t, "gRPC Purge of A's trash", err, 404, "NODE_NOT_FOUND")
	})

	// Routes without ids only ever show B's own nodes.
	t.Run("search", func(t *testing.T) {
		c := b.c.with(t)
		for _, q := range []string{"secret-a", "secret", "a", "%", "_"} {
			var r fv1.ListReply
			c.ok(b.get(fileSearch, url.Values{"q": {q}, "page_size": {"1000"}}), &r)
			for _, n := range r.GetItems() {
				if n.GetId() != bTop.GetId() && n.GetId() != bNode.GetId() && n.GetParentId() != bTop.GetId() {
					t.Errorf("B's search %q shows a node that is not B's: %v", q, n)
				}
			}
		}
		var r fv1.ListReply
		c.ok(b.get(fileSearch, url.Values{"q": {"secret-a-deep"}}), &r)
		if len(r.GetItems()) != 0 {
			t.Errorf("B's search for A's folder name found %v", r.GetItems())
		}
	})
	t.Run("trash_and_usage", func(t *testing.T) {
		c := b.c.with(t)
		for _, n := range b.trash() {
			t.Errorf("B's trash shows %v", n)
		}
		var pr fv1.PurgeReply
		c.ok(b.post(fileEmpty, map[string]any{}), &pr)
		if pr.GetPurged() != 0 || pr.GetFreedBytes() != 0 {
			t.Errorf("B emptying an empty trash purged %d nodes, %d bytes", pr.GetPurged(), pr.GetFreedBytes())
		}
		if us := b.usage(); us.GetUsedBytes() != 0 {
			t.Errorf("B's usage is %d bytes after the refused copies, want 0", us.GetUsedBytes())
		}
	})

	t.Run("trees_unchanged", func(t *testing.T) {
		if after := a.snapshot(); after != beforeA {
			t.Errorf("A's tree changed while B tried A's ids:\nbefore:\n%s\nafter:\n%s", beforeA, after)
		}
		if after := b.snapshot(); after != beforeB {
			t.Errorf("B's tree changed although every call was refused:\nbefore:\n%s\nafter:\n%s", beforeB, after)
		}
		if !strings.Contains(beforeA, "secret-a-leaf") || !strings.Contains(beforeA, "trash ") {
			t.Errorf("A's snapshot misses nodes:\n%s", beforeA)
		}
	})

	// A can still do everything B was refused.
	t.Run("owner_still_can", func(t *testing.T) {
		c := a.c.with(t)
		c.ok(a.post(fileRestore, map[string]any{"ids": []string{aGone.GetId()}}), nil)
		if n := a.stat(aGoneChild.GetId()); n.GetParentId() != aGone.GetId() {
			t.Errorf("after restore the child's parent is %q, want %q", n.GetParentId(), aGone.GetId())
		}
		c.ok(a.post(fileMove, map[string]any{"ids": []string{aDeep.GetId()}, "parent_id": aTop.GetId()}), nil)
		var p fv1.PathReply
		c.ok(a.get(filePath, url.Values{"id": {aDeep.GetId()}}), &p)
		if got := strings.Join(names(p.GetItems()), "/"); got != "secret-a-top/secret-a-deep" {
			t.Errorf("path after the move = %q", got)
		}
	})
}

// ---------------------------------------------------------------------------
// (b) Traversal-like and otherwise invalid names.

func (e *env) testFileNames(t *testing.T) {
	u := e.fileUser(t, "fnames")
	dir := u.mkdir("", "dir")
	victim := u.mkdir(dir.GetId(), "victim")
	before := u.snapshot()

	bad := []struct {
		name string
		body string // the JSON of the name, as sent
	}{
		{"dot dot", `".."`},
		{"dot", `"."`},
		{"slash", `"a/b"`},
		{"traversal", `"../etc/passwd"`},
		{"leading slash", `"/etc"`},
		{"lone slash", `"/"`},
		{"NUL", `"a\u0000b"`},
		{"newline", `"a\nb"`},
		{"DEL", `"a\u007fb"`},
		{"C1 control", `"a\u0085b"`},
		{"only spaces", `"   "`},
		{"empty", `""`},
		{"256 bytes", `"` + strings.Repeat("x", 256) + `"`},
		{"invalid UTF-8", "\"a\xffb\""},
	}
	check := func(t *testing.T, r *response) {
		t.Helper()
		var e apiError
		if err := json.Unmarshal(r.body, &e); err != nil || r.status != 400 {
			t.Fatalf("want 400, got %s", r)
		}
		switch e.Reason {
		case "INVALID_NAME", "VALIDATION_FAILED":
			if e.Metadata["field"] != "name" {
				t.Errorf("metadata.field = %q, want name: %s", e.Metadata["field"], r)
			}
		case "MALFORMED_REQUEST": // invalid UTF-8 cannot be a JSON string
		default:
			t.Errorf("want INVALID_NAME or VALIDATION_FAILED, got %s", r)
		}
		if e.Message == "" || (e.Reason == "INVALID_NAME" && e.Metadata["detail"] == "") {
			t.Errorf("no reason given: %s", r)
		}
	}
	for _, tc := range bad {
		t.Run("mkdir "+tc.name, func(t *testing.T) {
			c := u.c.with(t)
			check(t, c.post(fileMkdir, u.tok, `{"parent_id":"`+dir.GetId()+`","name":`+tc.body+`}`))
			check(t, c.post(fileMkdir, u.tok, `{"parent_id":"","name":`+tc.body+`,"on_conflict":"rename"}`))
		})
		t.Run("rename "+tc.name, func(t *testing.T) {
			c := u.c.with(t)
			check(t, c.post(fileRename, u.tok, `{"id":"`+victim.GetId()+`","name":`+tc.body+`}`))
			check(t, c.post(fileRename, u.tok, `{"id":"`+victim.GetId()+`","name":`+tc.body+`,"on_conflict":"rename"}`))
		})
	}
	// The reason names the rule.
	var ae apiError
	_ = json.Unmarshal(u.post(fileMkdir, map[string]string{"name": ".."}).body, &ae)
	if ae.Reason != "INVALID_NAME" || !strings.Contains(ae.Metadata["detail"], `".."`) {
		t.Errorf(`mkdir "..": want INVALID_NAME whose detail names "..", got %+v`, ae)
	}
	_ = json.Unmarshal(u.post(fileMkdir, map[string]string{"name": "a/b"}).body, &ae)
	if ae.Reason != "INVALID_NAME" || !strings.Contains(ae.Metadata["detail"], "/") {
		t.Errorf(`mkdir "a/b": want INVALID_NAME whose detail names "/", got %+v`, ae)
	}
	t.Run("nothing_changed", func(t *testing.T) {
		if after := u.snapshot(); after != before {
			t.Errorf("refused names changed the tree:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	// Look-alikes of traversal are plain names: stored and shown as given,
	// exactly where they were asked for.
	for _, name := range []string{`..\..\x`, "%2e%2e", "..%2f..", "..a", "a..b", "...", "．．", "a\u2215b", "报告.pdf", "résumé", " spaced name "} {
		t.Run("valid "+name, func(t *testing.T) {
			c := u.c.with(t)
			var n fv1.Node
			c.ok(c.post(fileMkdir, u.tok, map[string]string{"parent_id": dir.GetId(), "name": name}), &n)
			if n.GetName() != name || n.GetParentId() != dir.GetId() {
				t.Errorf("mkdir %q: got %v", name, &n)
			}
			var p fv1.PathReply
			c.ok(c.get(filePath+"?id="+n.GetId(), u.tok), &p)
			if got := names(p.GetItems()); len(got) != 2 || got[0] != "dir" || got[1] != name {
				t.Errorf("path of %q = %q", name, got)
			}
		})
	}
	// A valid name keeps its exact bytes through rename: 255 bytes is fine.
	long := strings.Repeat("é", 127) + "x"
	var n fv1.Node
	u.c.ok(u.post(fileRename, map[string]string{"id": victim.GetId(), "name": long}), &n)
	if n.GetName() != long {
		t.Errorf("rename to a 255-byte name gave %q", n.GetName())
	}
}

// ---------------------------------------------------------------------------
// (c) on_conflict.

func (e *env) testFileConflicts(t *testing.T) {
	u := e.fileUser(t, "fconflict")
	dir := u.mkdir("", "dir")
	x := u.mkdir(dir.GetId(), "x")

	mk := func(name, onConflict string) *response {
		t.Helper()
		body := map[string]string{"parent_id": dir.GetId(), "name": name}
		if onConflict != "" {
			body["on_conflict"] = onConflict
		}
		return u.post(fileMkdir, body)
	}
	for _, tc := range []struct{ name, on string }{{"x", "fail"}, {"x", ""}, {"X", "fail"}} {
		got := u.c.fail(mk(tc.name, tc.on), 409, "NAME_CONFLICT")
		if got.Metadata["name"] != tc.name {
			t.Errorf("mkdir %q on_conflict %q: metadata.name = %q, want %q", tc.name, tc.on, got.Metadata["name"], tc.name)
		}
	}
	u.c.fail(mk("x", "overwrite"), 400, "VALIDATION_FAILED")

	var n1, n2 fv1.Node
	u.c.ok(mk("x", "rename"), &n1)
	u.c.ok(mk("x", "rename"), &n2)
	if n1.GetName() != "x (1)" || n2.GetName() != "x (2)" {
		t.Errorf("mkdir x twice with rename gave %q and %q, want \"x (1)\" and \"x (2)\"", n1.GetName(), n2.GetName())
	}

	// Rename onto a taken name.
	y := u.mkdir(dir.GetId(), "y")
	u.c.fail(u.post(fileRename, map[string]string{"id": y.GetId(), "name": "x", "on_conflict": "fail"}), 409, "NAME_CONFLICT")
	if got := u.stat(y.GetId()).GetName(); got != "y" {
		t.Errorf("after the refused rename y is called %q", got)
	}
	var ry fv1.Node
	u.c.ok(u.post(fileRename, map[string]string{"id": y.GetId(), "name": "x", "on_conflict": "rename"}), &ry)
	if ry.GetName() != "x (3)" {
		t.Errorf("rename y to x with rename gave %q, want \"x (3)\"", ry.GetName())
	}
	// Renaming a node to its own name is no conflict; a case change is allowed.
	u.c.ok(u.post(fileRename, map[string]string{"id": x.GetId(), "name": "x", "on_conflict": "fail"}), nil)
	var rx fv1.Node
	u.c.ok(u.post(fileRename, map[string]string{"id": x.GetId(), "name": "X", "on_conflict": "fail"}), &rx)
	if rx.GetName() != "X" {
		t.Errorf("rename x to X gave %q", rx.GetName())
	}

	// Move and copy into a folder that has the name.
	other := u.mkdir("", "other")
	mover := u.mkdir(other.GetId(), "x")
	u.c.fail(u.post(fileMove, map[string]any{"ids": []string{mover.GetId()}, "parent_id": dir.GetId(), "on_conflict": "fail"}), 409, "NAME_CONFLICT")
	if got := u.stat(mover.GetId()).GetParentId(); got != other.GetId() {
		t.Errorf("after the refused move the node is in %q, want %q", got, other.GetId())
	}
	var copied fv1.NodesReply
	u.c.ok(u.post(fileCopy, map[string]any{"ids": []string{mover.GetId()}, "parent_id": dir.GetId(), "on_conflict": "rename"}), &copied)
	if len(copied.GetItems()) != 1 || copied.GetItems()[0].GetName() != "x (4)" || copied.GetItems()[0].GetId() == mover.GetId() {
		t.Errorf("copy x into dir with rename gave %v, want a new node \"x (4)\"", copied.GetItems())
	}
	var moved fv1.NodesReply
	u.c.ok(u.post(fileMove, map[string]any{"ids": []string{mover.GetId()}, "parent_id": dir.GetId(), "on_conflict": "rename"}), &moved)
	if len(moved.GetItems()) != 1 || moved.GetItems()[0].GetName() != "x (5)" || moved.GetItems()[0].GetId() != mover.GetId() {
		t.Errorf("move x into dir with rename gave %v, want the same node as \"x (5)\"", moved.GetItems())
	}
	got := names(u.list(dir.GetId()))
	sort.Strings(got)
	if want := "X,x (1),x (2),x (3),x (4),x (5)"; strings.Join(got, ",") != want {
		t.Errorf("dir holds %q, want %q", got, want)
	}

	// A folder cannot move into itself or its subtree.
	sub := u.mkdir(other.GetId(), "sub")
	u.c.fail(u.post(fileMove, map[string]any{"ids": []string{other.GetId()}, "parent_id": sub.GetId()}), 400, "MOVE_INTO_SELF")
	u.c.fail(u.post(fileMove, map[string]any{"ids": []string{other.GetId()}, "parent_id": other.GetId()}), 400, "MOVE_INTO_SELF")
	u.c.fail(u.post(fileCopy, map[string]any{"ids": []string{other.GetId()}, "parent_id": sub.GetId()}), 400, "MOVE_INTO_SELF")
}

// ---------------------------------------------------------------------------
// (d) The admin sets a user's quota.

func (e *env) testFileQuota(t *testing.T) {
	c, _ := e.clients(t)
	b := e.fileUser(t, "fquota-b")
	other := e.fileUser(t, "fquota-c")

	if us := b.usage(); us.GetLimitBytes() != 10<<30 {
		t.Errorf("default limit = %d, want 10 GiB", us.GetLimitBytes())
	}
	var set fv1.UsageReply
	c.ok(c.post(quotaSet, e.adminTok, map[string]any{"user_id": b.acct.id, "limit_bytes": "123456789"}), &set)
	if set.GetLimitBytes() != 123456789 || set.GetUsedBytes() != 0 {
		t.Errorf("set quota reply = %v", &set)
	}
	if us := b.usage(); us.GetLimitBytes() != 123456789 || us.GetUsedBytes() != 0 {
		t.Errorf("B's usage after the admin set 123456789: %v", us)
	}
	var gq fv1.UsageReply
	c.ok(c.get(quotaGet+"?user_id="+b.acct.id, e.adminTok), &gq)
	if gq.GetLimitBytes() != 123456789 {
		t.Errorf("admin get quota of B = %v", &gq)
	}
	// A number in JSON works as well as a string.
	c.ok(c.post(quotaSet, e.adminTok, map[string]any{"user_id": b.acct.id, "limit_bytes": 2048}), nil)
	if us := b.usage(); us.GetLimitBytes() != 2048 {
		t.Errorf("B's limit after setting 2048 = %d", us.GetLimitBytes())
	}
	if us := other.usage(); us.GetLimitBytes() != 10<<30 {
		t.Errorf("setting B's quota changed C's limit to %d", us.GetLimitBytes())
	}

	// Not an admin: 403, and nothing changes.
	for _, u := range []*fileUser{b, other} {
		u.c.fail(u.post(quotaSet, map[string]any{"user_id": u.acct.id, "limit_bytes": "999999999999"}), 403, "FORBIDDEN")
		u.c.fail(u.post(quotaSet, map[string]any{"user_id": b.acct.id, "limit_bytes": "1"}), 403, "FORBIDDEN")
		u.c.fail(u.get(quotaGet, url.Values{"user_id": {b.acct.id}}), 403, "FORBIDDEN")
	}
	b.c.fail(b.c.post(quotaSet, "", map[string]any{"user_id": b.acct.id, "limit_bytes": "1"}), 401, "UNAUTHENTICATED")
	if us := b.usage(); us.GetLimitBytes() != 2048 {
		t.Errorf("B's limit after refused sets = %d, want 2048", us.GetLimitBytes())
	}
	c.fail(c.post(quotaSet, e.adminTok, map[string]any{"user_id": b.acct.id, "limit_bytes": "-1"}), 400, "VALIDATION_FAILED")
	c.fail(c.post(quotaSet, e.adminTok, map[string]any{"user_id": "", "limit_bytes": "1"}), 400, "VALIDATION_FAILED")

	// Over gRPC the same rule.
	ac := fv1.NewFileAdminClient(b.g.conn)
	_, err := ac.SetQuota(b.g.with(t).ctx(b.tok), &fv1.SetQuotaRequest{UserId: b.acct.id, LimitBytes: 1})
	grpcFail(t, "gRPC SetQuota as a user", err, 403, "FORBIDDEN")
	r, err := ac.SetQuota(b.g.with(t).ctx(e.adminTok), &fv1.SetQuotaRequest{UserId: b.acct.id, LimitBytes: 4096})
	if err != nil || r.GetLimitBytes() != 4096 {
		t.Errorf("gRPC SetQuota as the admin: %v, %v", r, err)
	}
	if us := b.usage(); us.GetLimitBytes() != 4096 {
		t.Errorf("B's limit after the gRPC set = %d, want 4096", us.GetLimitBytes())
	}
}

// ---------------------------------------------------------------------------
// (e) The internal RPCs: no HTTP route; over gRPC refused without the secret.

func (e *env) testFileInternal(t *testing.T) {
	u := e.fileUser(t, "finternal")
	dir := u.mkdir("", "dir")

	for _, p := range []string{
		"/v1/file/internal/create", "/v1/file/internal/create_file", "/v1/file/internal/createfile",
		"/v1/file/internal/referenced_hashes", "/v1/file/internal/node", "/v1/file/internal",
		"/v1/file/create", "/v1/file/create_file", "/v1/file/referenced", "/v1/file/node",
		"/v1/internal/file/create", "/clouddrive.file.v1.FileInternal/CreateFile",
		"/clouddrive.file.v1.FileInternal/GetNode",
	} {
		body := map[string]any{"owner_id": u.acct.id, "parent_id": dir.GetId(), "name": "injected",
			"content_hash": strings.Repeat("a", 64), "size": "1"}
		for _, tok := range []string{"", u.tok, e.adminTok} {
			if r := u.c.post(p, tok, body); r.status != http.StatusNotFound {
				t.Errorf("POST %s: want 404 (no route), got %s", p, r)
			}
		}
		if r := u.c.get(p+"?owner_id="+u.acct.id+"&id="+dir.GetId(), e.adminTok); r.status != http.StatusNotFound {
			t.Errorf("GET %s: want 404 (no route), got %s", p, r)
		}
	}

	ic := fv1.NewFileInternalClient(u.g.conn)
	req := &fv1.CreateFileRequest{OwnerId: u.acct.id, ParentId: dir.GetId(), Name: "injected",
		ContentHash: strings.Repeat("a", 64), Size: 1, Mime: "text/plain"}
	type callCtx struct {
		name string
		tok  string
		md   []string
	}
	for _, cc := range []callCtx{
		{"no credentials", "", nil},
		{"a user's token", u.tok, nil},
		{"the admin's token", e.adminTok, nil},
		{"an empty internal header", u.tok, []string{"x-clouddrive-internal", ""}},
		{"a guessed internal secret", "", []string{"x-clouddrive-internal", "secret"}},
		{"the admin's token as the secret", "", []string{"x-clouddrive-internal", e.adminTok}},
	} {
		t.Run(cc.name, func(t *testing.T) {
			g := u.g.with(t)
			ctx := g.ctx(cc.tok)
			if cc.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, cc.md...)
			}
			_, err := ic.CreateFile(ctx, req)
			grpcFail(t, "CreateFile", err, 403, "FORBIDDEN")
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("CreateFile: status %v, want PermissionDenied", status.Code(err))
			}
			_, err = ic.ReferencedHashes(ctx, &fv1.ReferencedHashesRequest{ContentHashes: []string{strings.Repeat("a", 64)}})
			grpcFail(t, "ReferencedHashes", err, 403, "FORBIDDEN")
			_, err = ic.GetNode(ctx, &fv1.GetNodeRequest{OwnerId: u.acct.id, Id: dir.GetId()})
			grpcFail(t, "GetNode", err, 403, "FORBIDDEN")
		})
	}
	// Every method of FileInternal, present and future, found from the
	// descriptor and called with an empty request: refused before validation.
	t.Run("every_method", func(t *testing.T) {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName("clouddrive.file.v1.FileInternal")
		if err != nil {
			t.Fatalf("the FileInternal descriptor: %v", err)
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			t.Fatalf("clouddrive.file.v1.FileInternal is a %T", d)
		}
		ms := sd.Methods()
		if ms.Len() < 3 {
			t.Errorf("FileInternal has %d methods, want at least CreateFile, ReferencedHashes, GetNode", ms.Len())
		}
		var called []string
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			called = append(called, string(m.Name()))
			full := fmt.Sprintf("/%s/%s", sd.FullName(), m.Name())
			for _, tok := range []string{"", u.tok, e.adminTok} {
				in, out := dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output())
				err := u.g.conn.Invoke(u.g.with(t).ctx(tok), full, in, out)
				grpcFail(t, full, err, 403, "FORBIDDEN")
				if status.Code(err) != codes.PermissionDenied {
					t.Errorf("%s: status %v, want PermissionDenied", full, status.Code(err))
				}
			}
			// No HTTP route by the gRPC path either.
			if r := u.c.post(full, e.adminTok, map[string]any{}); r.status != http.StatusNotFound {
				t.Errorf("POST %s over HTTP: want 404, got %s", full, r)
			}
		}
		t.Logf("refused without the secret: %s", strings.Join(called, ", "))
	})
	// The published API does not describe them.
	t.Run("not_in_openapi", func(t *testing.T) {
		r := u.c.get("/openapi.yaml", "")
		if r.status != http.StatusOK {
			t.Skipf("GET /openapi.yaml: %s", r)
		}
		for _, w := range []string{"FileInternal", "CreateFile", "ReferencedHashes", "GetNode", "/internal"} {
			if strings.Contains(string(r.body), w) {
				t.Errorf("/openapi.yaml mentions %q", w)
			}
		}
	})

	if got := names(u.list(dir.GetId())); len(got) != 0 {
		t.Errorf("the refused internal calls created %q", got)
	}
	if us := u.usage(); us.GetUsedBytes() != 0 {
		t.Errorf("the refused internal calls charged %d bytes", us.GetUsedBytes())
	}
}
