package standalone_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	fv1 "clouddrive/api/file/v1"
)

const uploadFile = "/v1/upload/file"

// A file of at most one chunk in one request, with or without its hash:
// the same name rules, quota, dedup and download as the chunked upload.
func (e *env) testSmallFile(t *testing.T) {
	u := e.storeUser(t, "smallfile")
	c := content{seed: 77, size: 4096}
	body := c.bytes(0, c.size)
	put := func(q url.Values, b []byte, token string) *response {
		return u.raw(http.MethodPut, uploadFile+"?"+q.Encode(), token, bytes.NewReader(b), int64(len(b)))
	}
	used := u.usage().GetUsedBytes()

	var n fv1.Node
	u.c.ok(put(url.Values{"name": {"note.txt"}}, body, u.tok), &n)
	if n.GetName() != "note.txt" || n.GetSize() != c.size || n.GetContentHash() != c.hash() {
		t.Fatalf("node %v", nodeLine(&n))
	}
	if !u.listed("", "note.txt") {
		t.Fatal("the file is not listed")
	}
	if got := u.usage().GetUsedBytes(); got != used+c.size {
		t.Errorf("usage %d, want %d", got, used+c.size)
	}
	if f := u.fetch(u.fileURL(n.GetId()), c); f.status != http.StatusOK || f.n != c.size || f.diffAt >= 0 {
		t.Fatalf("download: %d, %d bytes, first difference at %d", f.status, f.n, f.diffAt)
	}
	// With its hash, into a folder; the same name again: conflict or rename
	// when asked (by default a new version: e2e_versions_test.go).
	dir := u.mkdir("", "inbox")
	u.c.ok(put(url.Values{"name": {"note.txt"}, "parent_id": {dir.GetId()}, "content_hash": {c.hash()}}, body, u.tok), nil)
	u.c.fail(put(url.Values{"name": {"note.txt"}, "on_conflict": {"fail"}}, body, u.tok), 409, "NAME_CONFLICT")
	var renamed fv1.Node
	u.c.ok(put(url.Values{"name": {"note.txt"}, "on_conflict": {"rename"}}, body, u.tok), &renamed)
	if renamed.GetName() == "note.txt" {
		t.Errorf("renamed to %q", renamed.GetName())
	}
	// Refusals: no token, a wrong hash, a bad name, a foreign folder.
	u.c.fail(put(url.Values{"name": {"x.txt"}}, body, ""), 401, "UNAUTHENTICATED")
	u.c.fail(put(url.Values{"name": {"x.txt"}, "content_hash": {content{seed: 78, size: 10}.hash()}}, body, u.tok), 422, "HASH_MISMATCH")
	u.c.fail(put(url.Values{"name": {"a/b"}}, body, u.tok), 400, "INVALID_NAME")
	other := e.storeUser(t, "smallfile-other")
	theirs := other.mkdir("", "theirs")
	u.c.fail(put(url.Values{"name": {"x.txt"}, "parent_id": {theirs.GetId()}}, body, u.tok), 404, "PARENT_NOT_FOUND")
	if u.listed("", "x.txt") || other.listed(theirs.GetId(), "x.txt") {
		t.Fatal("a refused upload made a node")
	}
}
