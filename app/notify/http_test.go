package notify

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"clouddrive/pkg/events"
)

// The API through HTTP, as the gateway and the standalone binary serve it:
// list (pages, unread only), unread count, mark read, each user seeing and
// changing only their own notifications. Events arrive on an in-process
// bus, as in the standalone binary.
func TestHTTPListUnreadMarkReadAndIsolation(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	bus := events.NewBus()
	h.m.Subscribe(bus)
	ctx := context.Background()

	batch := []events.Message{
		shareSaved("s1", alice, carol, "tokA", "Holiday"),
		quotaWarning("q1", alice, 95<<20, 100<<20),
		shareCreated("c1", alice, bob, "tokB", "Report.pdf"),
		shareSaved("s2", alice, carol, "tokA", "Holiday"),
		shareRevoked("r1", alice, "tokA"),            // tells nobody
		fileCreated("f1", alice, "a.txt"),            // tells nobody
		shareCreated("c2", carol, dave, "tokD", "x"), // dave is disabled
		shareSaved("s3", alice, carol, "tokA", "Holiday"),
	}
	if err := bus.Publish(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// The relay sends a batch again after a failure: nothing doubles.
	if err := bus.Publish(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got := h.rows(""); got != 5 {
		t.Fatalf("%d notifications stored, want 5 (4 for alice, 1 for bob)", got)
	}

	if got := h.unread(alice); got != 4 {
		t.Errorf("alice unread %d, want 4", got)
	}
	if got := h.unread(bob); got != 1 {
		t.Errorf("bob unread %d, want 1", got)
	}
	if got := h.unread(dave); got != 0 {
		t.Errorf("dave (disabled) unread %d, want 0", got)
	}

	// Newest first, in pages.
	st, body := h.call(http.MethodGet, "/v1/notify/list?page_size=3", alice, nil)
	if st != http.StatusOK {
		t.Fatalf("list: %d %s", st, body)
	}
	p1 := decode[listReply](t, body)
	if len(p1.Items) != 3 || p1.NextPageToken == "" {
		t.Fatalf("first page %+v, want 3 items and a next token", p1)
	}
	st, body = h.call(http.MethodGet, "/v1/notify/list?page_size=3&page_token="+p1.NextPageToken, alice, nil)
	if st != http.StatusOK {
		t.Fatalf("list page 2: %d %s", st, body)
	}
	p2 := decode[listReply](t, body)
	if len(p2.Items) != 1 || p2.NextPageToken != "" {
		t.Fatalf("second page %+v, want the last item", p2)
	}
	all := append(p1.Items, p2.Items...)
	wantTitles := []string{
		"Carol saved items from your share “Holiday”",
		"Carol saved items from your share “Holiday”",
		"Your drive is 95% full",
		"Carol saved items from your share “Holiday”",
	}
	for i, n := range all {
		if n.Title != wantTitles[i] || n.Read || n.ID == "" || n.CreatedAt == "" {
			t.Errorf("item %d: %+v, want title %q, unread", i, n, wantTitles[i])
		}
	}
	if all[2].Kind != "quota_warning" || all[2].Data["limit_bytes"] != "104857600" ||
		!strings.Contains(all[2].Body, "95 MiB of 100 MiB") {
		t.Errorf("quota warning %+v", all[2])
	}
	if all[0].Kind != "share_saved" || all[0].Data["share_token"] != "tokA" || all[0].Data["actor_nickname"] != "Carol" {
		t.Errorf("share saved %+v", all[0])
	}

	// The reader's language, at read time.
	st, body = h.call(http.MethodGet, "/v1/notify/list", bob, nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	if st != http.StatusOK {
		t.Fatalf("list zh: %d %s", st, body)
	}
	if got := decode[listReply](t, body).Items; len(got) != 1 || got[0].Title != "Alice 向你分享了「Report.pdf」" ||
		got[0].Kind != "share_received" {
		t.Errorf("bob's list in Chinese: %+v", got)
	}
	if got := h.listAll(bob, ""); len(got) != 1 || got[0].Title != "Alice shared “Report.pdf” with you" {
		t.Errorf("bob's list in English: %+v", got)
	}

	// Bob cannot mark alice's notification, alone or beside his own.
	bobs := h.listAll(bob, "")[0].ID
	for _, ids := range [][]string{{all[0].ID}, {bobs, all[0].ID}, {"not-an-id"}, {"999999"}} {
		st, body = h.call(http.MethodPost, "/v1/notify/read", bob, map[string]any{"ids": ids})
		h.wantError("bob marks "+strings.Join(ids, ","), st, body, http.StatusNotFound, "NOTIFICATION_NOT_FOUND")
	}
	if got := h.unread(alice); got != 4 {
		t.Fatalf("alice unread %d after bob's attempts, want 4", got)
	}
	if got := h.unread(bob); got != 1 {
		t.Fatalf("bob unread %d after his refused calls, want 1", got)
	}
	// In Chinese too.
	st, body = h.call(http.MethodPost, "/v1/notify/read", bob, map[string]any{"ids": []string{all[0].ID}}, "Accept-Language", "zh-CN")
	if e := h.wantError("bob marks alice's (zh)", st, body, http.StatusNotFound, "NOTIFICATION_NOT_FOUND"); e.Message != "通知不存在" {
		t.Errorf("Chinese message %q", e.Message)
	}
	// Bob's "all" is all of his.
	st, body = h.call(http.MethodPost, "/v1/notify/read", bob, map[string]any{"all": true})
	if st != http.StatusOK || !strings.Contains(string(body), `"marked":"1"`) {
		t.Fatalf("bob marks all: %d %s", st, body)
	}
	if got := h.unread(alice); got != 4 {
		t.Fatalf("alice unread %d after bob's mark-all, want 4", got)
	}

	// Alice marks one, then the rest.
	st, body = h.call(http.MethodPost, "/v1/notify/read", alice, map[string]any{"ids": []string{all[1].ID, all[1].ID}})
	if st != http.StatusOK || !strings.Contains(string(body), `"marked":"1"`) {
		t.Fatalf("alice marks one: %d %s", st, body)
	}
	unread := h.listAll(alice, "&unread_only=true")
	if len(unread) != 3 {
		t.Fatalf("alice's unread list has %d, want 3", len(unread))
	}
	for _, n := range unread {
		if n.ID == all[1].ID || n.Read {
			t.Errorf("unread list holds %+v", n)
		}
	}
	if got := h.listAll(alice, ""); len(got) != 4 || !got[1].Read {
		t.Errorf("full list after marking: %+v", got)
	}
	st, body = h.call(http.MethodPost, "/v1/notify/read", alice, map[string]any{"all": true})
	if st != http.StatusOK || !strings.Contains(string(body), `"marked":"3"`) {
		t.Fatalf("alice marks all: %d %s", st, body)
	}
	if got := h.unread(alice); got != 0 {
		t.Errorf("alice unread %d, want 0", got)
	}
	if got := h.listAll(alice, "&unread_only=true"); len(got) != 0 {
		t.Errorf("unread list after mark-all: %+v", got)
	}
}

func TestHTTPRefusals(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/v1/notify/list", nil},
		{http.MethodGet, "/v1/notify/unread_count", nil},
		{http.MethodPost, "/v1/notify/read", map[string]any{"all": true}},
	} {
		st, body := h.call(c.method, c.path, 0, c.body)
		h.wantError("anonymous "+c.path, st, body, http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	// Not a token; "n1.5", a real cursor; "n1.-1".
	for _, tok := range []string{"garbage", "bjEuNQ", "bjEuLTE"} {
		st, body := h.call(http.MethodGet, "/v1/notify/list?page_token="+tok, alice, nil)
		if tok == "bjEuNQ" { // "n1.5" is a real cursor
			if st != http.StatusOK {
				t.Errorf("a valid cursor was refused: %d %s", st, body)
			}
			continue
		}
		h.wantError("page token "+tok, st, body, http.StatusBadRequest, "VALIDATION_FAILED")
	}
	st, body := h.call(http.MethodGet, "/v1/notify/list?page_size=500", alice, nil)
	h.wantError("page_size 500", st, body, http.StatusBadRequest, "VALIDATION_FAILED")
	st, body = h.call(http.MethodPost, "/v1/notify/read", alice, map[string]any{})
	h.wantError("read nothing", st, body, http.StatusBadRequest, "VALIDATION_FAILED")
}
