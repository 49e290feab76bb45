package service_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/webdav/internal/biz"
	"clouddrive/app/webdav/internal/data"
	"clouddrive/app/webdav/internal/service"
	"clouddrive/pkg/ratelimit"
)

// fakeAccounts signs anyone in: the sign-in is not what these tests are about.
type fakeAccounts struct{}

func (fakeAccounts) SignIn(_ context.Context, name, _ string) (*biz.User, error) {
	return &biz.User{ID: 1, Username: name, Token: "t", Until: time.Now().Add(time.Hour)}, nil
}

// failingFiles is a file service whose listing of one folder fails on
// demand (the real one cannot be made to fail half way through a request).
type failingFiles struct {
	biz.Files
	failFolder int64
	err        error
}

func (f *failingFiles) List(_ context.Context, _ *biz.User, parent int64, _ string) ([]*biz.Node, string, error) {
	if parent == f.failFolder {
		return nil, "", f.err
	}
	if parent == 0 {
		return []*biz.Node{{ID: 2, Name: "docs", Folder: true, UpdatedAt: time.Now()}}, "", nil
	}
	return nil, "", nil
}

func (f *failingFiles) Usage(context.Context, *biz.User) (*biz.Usage, error) {
	return &biz.Usage{Used: 1, Limit: 100}, nil
}

func newHandler(files biz.Files) *service.Handler {
	d := &data.Data{}
	signin := biz.NewSignInUsecase(fakeAccounts{}, ratelimit.NewMemory(), &biz.SignInPolicy{Remember: time.Minute})
	return service.NewHandler(service.Options{Prefix: "/dav"}, signin, biz.NewTreeUsecase(files, nil, data.NewPropRepo(d)),
		biz.NewLockUsecase(data.NewLockRepo(d)), log.NewStdLogger(io.Discard))
}

// A listing that fails is a 503 the client retries, never a 207 that
// shows the folder empty (x/net/webdav closes its stream so when a
// Readdir fails, and a sync client then deletes the folder's files).
func TestPropfindFailsWholeWhenAListingFails_FakeFileService(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"shed", errors.Join(biz.ErrBusy, errors.New("429 RATELIMIT")), http.StatusServiceUnavailable},
		{"revoked", errors.Join(biz.ErrBadCredentials, errors.New("401 TOKEN_REVOKED")), http.StatusUnauthorized},
		{"broken", errors.New("connection refused"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(&failingFiles{failFolder: 2, err: tc.err})
			req := httptest.NewRequest("PROPFIND", "/dav/docs/", nil)
			req.SetBasicAuth("alice", "cdap-x")
			req.Header.Set("Depth", "1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want || strings.Contains(rec.Body.String(), "multistatus") {
				t.Fatalf("PROPFIND with a failing listing: %d %s, want %d and no multistatus", rec.Code, rec.Body, tc.want)
			}
			// The folder itself (Depth: 0) needs no listing: it answers.
			req = httptest.NewRequest("PROPFIND", "/dav/docs/", nil)
			req.SetBasicAuth("alice", "cdap-x")
			req.Header.Set("Depth", "0")
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusMultiStatus {
				t.Fatalf("PROPFIND Depth 0: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
