package standalone_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
)

const (
	changesList    = "/v1/changes"
	changesWait    = "/v1/changes/wait"
	versionsList   = "/v1/file/versions"
	versionRestore = "/v1/file/versions/restore"
)

// TestE2EVersionsAndChanges: a file overwritten five times through every
// upload path keeps five versions, each downloadable byte for byte through
// a signed URL; restoring one makes a new version; usage counts them; the
// change feed tells it all in order, wakes a waiting client, shows nothing
// of another user's, and goes on after a restart of the binary.
func TestE2EVersionsAndChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	srv := startServer(t, bin)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	alice := e.storeUser(t, "versions-alice")
	bob := e.storeUser(t, "versions-bob")

	var start fv1.ListChangesReply
	alice.c.ok(alice.get(changesList, url.Values{"latest": {"true"}}), &start)
	if start.GetCursor() == "" || len(start.GetChanges()) != 0 {
		t.Fatalf("latest: %v", &start)
	}

	// A client waiting on the feed wakes with the first upload.
	woke := make(chan *response, 1)
	go func() {
		woke <- alice.c.get(changesWait+"?"+url.Values{"cursor": {start.GetCursor()}, "timeout_seconds": {"15"}}.Encode(), alice.tok)
	}()

	contents := make([]content, 6)
	for i := range contents {
		contents[i] = content{seed: uint64(900 + i), size: int64(5000 + 1000*i)}
	}
	put := func(c content) *fv1.Node {
		t.Helper()
		b := c.bytes(0, c.size)
		var n fv1.Node
		alice.c.ok(alice.raw(http.MethodPut, uploadFile+"?"+url.Values{"name": {"doc.txt"}}.Encode(), alice.tok,
			bytes.NewReader(b), int64(len(b))), &n)
		return &n
	}
	// 0: the single-request upload, creating the file.
	doc := put(contents[0])
	var w fv1.WaitChangesReply
	alice.c.ok(<-woke, &w)
	if !w.GetChanges() {
		t.Fatal("the waiting client was not woken by the upload")
	}
	// 1, 2: single requests again (the default on_conflict is "version").
	put(contents[1])
	put(contents[2])
	// 3: a chunked upload.
	alice.uploadHTTP("", "doc.txt", contents[3])
	// 4: an instant upload of content bob has.
	bob.uploadHTTP("", "bobs.txt", contents[4])
	s, _ := alice.initRaw("", "doc.txt", contents[4], contents[4].hash())
	var proved fv1.Node
	alice.c.ok(alice.post(uploadProve, map[string]string{"upload_id": s.GetUploadId(),
		"proof": contents[4].proof(t, s.GetChallenge())}), &proved)
	// 5: a chunked upload with on_conflict "version" said.
	body := initBody("", "doc.txt", contents[5], contents[5].hash())
	body["on_conflict"] = "version"
	var s5 sv1.UploadSession
	alice.c.ok(alice.post(uploadInit, body), &s5)
	alice.putChunks(&s5, contents[5], allChunks(&s5), 1)
	last := alice.complete(s5.GetUploadId())
	if last.GetId() != doc.GetId() || proved.GetId() != doc.GetId() || last.GetContentHash() != contents[5].hash() {
		t.Fatalf("overwrites made other nodes: %s, %s, want %s", nodeLine(&proved), nodeLine(last), doc.GetId())
	}
	if ns := alice.list(""); len(ns) != 1 {
		t.Fatalf("%d nodes at the root, want the one file", len(ns))
	}
	// "fail" still refuses.
	b0 := contents[0].bytes(0, contents[0].size)
	alice.c.fail(alice.raw(http.MethodPut, uploadFile+"?"+url.Values{"name": {"doc.txt"}, "on_conflict": {"fail"}}.Encode(),
		alice.tok, bytes.NewReader(b0), int64(len(b0))), 409, "NAME_CONFLICT")

	var vs fv1.ListVersionsReply
	alice.c.ok(alice.get(versionsList, url.Values{"node_id": {doc.GetId()}}), &vs)
	if len(vs.GetVersions()) != 5 || vs.GetNode().GetContentHash() != contents[5].hash() {
		t.Fatalf("%d versions (current %s), want 5", len(vs.GetVersions()), vs.GetNode().GetContentHash())
	}
	versionURL := func(u *storeUser, id, version string) *response {
		return u.post(downloadURL, map[string]string{"id": id, "version_id": version})
	}
	for i, v := range vs.GetVersions() {
		c := contents[4-i] // the latest replaced first
		if v.GetContentHash() != c.hash() || v.GetSize() != c.size {
			t.Fatalf("version %d: %v, want content %d", i, v, 4-i)
		}
		var su sv1.SignedURL
		alice.c.ok(versionURL(alice, doc.GetId(), v.GetId()), &su)
		if f := alice.fetch(su.GetUrl(), c); f.status != http.StatusOK || f.n != c.size || f.diffAt != -1 {
			t.Fatalf("version %d download: status %d, %d bytes, first difference at %d", i, f.status, f.n, f.diffAt)
		}
	}
	if f := alice.fetch(alice.fileURL(doc.GetId()), contents[5]); f.status != http.StatusOK || f.diffAt != -1 {
		t.Fatalf("current download: status %d, first difference at %d", f.status, f.diffAt)
	}

	// Usage counts every content kept, and says how much is versions.
	var total, old int64
	for i, c := range contents {
		total += c.size
		if i < 5 {
			old += c.size
		}
	}
	if u := alice.usage(); u.GetUsedBytes() != total || u.GetVersionBytes() != old {
		t.Errorf("usage %d (versions %d), want %d (%d)", u.GetUsedBytes(), u.GetVersionBytes(), total, old)
	}

	// Restore the second content: a new version, the current one kept.
	second := vs.GetVersions()[3]
	var restored fv1.Node
	alice.c.ok(alice.post(versionRestore, map[string]string{"node_id": doc.GetId(), "version_id": second.GetId()}), &restored)
	if restored.GetContentHash() != contents[1].hash() {
		t.Fatalf("restored %s", nodeLine(&restored))
	}
	if f := alice.fetch(alice.fileURL(doc.GetId()), contents[1]); f.status != http.StatusOK || f.diffAt != -1 {
		t.Fatalf("download after restore: status %d, first difference at %d", f.status, f.diffAt)
	}
	alice.c.ok(alice.get(versionsList, url.Values{"node_id": {doc.GetId()}}), &vs)
	if len(vs.GetVersions()) != 6 || vs.GetVersions()[0].GetContentHash() != contents[5].hash() {
		t.Fatalf("after restore: %d versions, latest %s", len(vs.GetVersions()), vs.GetVersions()[0].GetContentHash())
	}

	// Bob reaches none of it.
	bob.c.fail(bob.get(versionsList, url.Values{"node_id": {doc.GetId()}}), 404, "NODE_NOT_FOUND")
	bob.c.fail(versionURL(bob, doc.GetId(), second.GetId()), 404, "NODE_NOT_FOUND")
	bob.c.fail(bob.post(versionRestore, map[string]string{"node_id": doc.GetId(), "version_id": second.GetId()}), 404, "NODE_NOT_FOUND")
	alice.c.fail(versionURL(alice, doc.GetId(), "999999"), 404, "VERSION_NOT_FOUND")

	// The feed, in order: the creation, five new versions, the restore.
	changes := func(u *storeUser, cursor string) (*fv1.ListChangesReply, []*fv1.Change) {
		t.Helper()
		var all []*fv1.Change
		for {
			var r fv1.ListChangesReply
			u.c.ok(u.get(changesList, url.Values{"cursor": {cursor}, "page_size": {"3"}}), &r)
			all = append(all, r.GetChanges()...)
			cursor = r.GetCursor()
			if !r.GetHasMore() {
				return &r, all
			}
		}
	}
	end, got := changes(alice, start.GetCursor())
	want := []string{"created", "version", "version", "version", "version", "version", "version_restored"}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.GetType() != want[i] || c.GetPath() != "/doc.txt" || c.GetNodeId() != doc.GetId() ||
			(i < 6 && c.GetContentHash() != contents[i].hash()) || c.GetSeq() != got[0].GetSeq()+int64(i) {
			t.Errorf("change %d: %v, want %s of /doc.txt", i, c, want[i])
		}
	}
	// Bob's feed has only his upload; alice's cursor is not his.
	if _, bs := changes(bob, ""); len(bs) != 1 || bs[0].GetPath() != "/bobs.txt" {
		t.Errorf("bob's feed: %v", bs)
	}
	bob.c.fail(bob.get(changesList, url.Values{"cursor": {end.GetCursor()}}), 400, "INVALID_CURSOR")
	bob.c.fail(bob.get(changesWait, url.Values{"cursor": {end.GetCursor()}}), 400, "INVALID_CURSOR")
	// Bob's own wait does not wake on alice's changes: a quiet timeout.
	var bw fv1.WaitChangesReply
	var bobStart fv1.ListChangesReply
	bob.c.ok(bob.get(changesList, url.Values{"latest": {"true"}}), &bobStart)
	bobWait := make(chan *response, 1)
	go func() {
		bobWait <- bob.c.get(changesWait+"?"+url.Values{"cursor": {bobStart.GetCursor()}, "timeout_seconds": {"2"}}.Encode(), bob.tok)
	}()
	alice.mkdir("", "while-bob-waits")
	bob.c.ok(<-bobWait, &bw)
	if bw.GetChanges() {
		t.Error("bob's wait woke on alice's change")
	}

	// A restart: the cursor goes on where it was. Against the cluster its
	// processes are not the test's to stop; the standalone run checks this.
	if clusterDir() != "" {
		return
	}
	if _, _, err := srv.stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	srv2 := restart(t, bin, srv)
	alice2 := alice.rebind(t, srv2)
	alice2.mkdir("", "after-restart")
	_, after := changes(alice2, end.GetCursor())
	if len(after) != 2 || after[0].GetPath() != "/while-bob-waits" || after[1].GetPath() != "/after-restart" ||
		after[1].GetSeq() != got[len(got)-1].GetSeq()+2 {
		t.Errorf("after the restart: %v", after)
	}
}
