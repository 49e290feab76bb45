package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"clouddrive/tools/loadgen/drive"
)

// Every answer of the mix outside 2xx counts as an error, shed ones (429
// RATELIMIT, 503 UNAVAILABLE) included: the load's "zero errors" means every
// call was served, not that refusals were retried until one got through.
func TestEveryNon2xxOfTheMixIsAnError(t *testing.T) {
	answers := []struct {
		status int
		body   string
	}{
		{429, `{"code":429,"reason":"RATELIMIT","message":"service unavailable due to rate limit exceeded"}`},
		{503, `{"code":503,"reason":"UNAVAILABLE","message":"retry shortly"}`},
		{500, `internal error`},
		{200, `{"items":[]}`},
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[calls%len(answers)]
		calls++
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	defer srv.Close()
	c := drive.New(srv.URL, srv.Client())
	st := newStats()
	for range answers {
		_, _, err := c.List(context.Background(), "", 100, "")
		st.record(opList, time.Millisecond, err)
	}
	if calls != len(answers) {
		t.Fatalf("%d calls sent for %d operations: the client retried", calls, len(answers))
	}
	if st.errs[opList] != 3 || len(st.lat[opList]) != 1 {
		t.Fatalf("%d errors and %d successes recorded, want 3 and 1", st.errs[opList], len(st.lat[opList]))
	}
	// The bare 500 is the one without a reason.
	if st.unclear[opList] != 1 {
		t.Fatalf("%d errors without a reason, want 1 (the bare 500)", st.unclear[opList])
	}
}
