package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
)

// fakeAuth is a server with single-use refresh tokens (like the user
// service: presenting a used one fails), Me, and a Download stream, both of
// which accept only the current access token.
type fakeAuth struct {
	userv1.UnimplementedUserServer
	storagev1.UnimplementedStorageServer

	mu        sync.Mutex
	gen       int
	access    string
	refresh   string
	refreshes int
	refused   int // calls refused for their token
}

func (f *fakeAuth) rotate() *userv1.TokenReply {
	f.gen++
	f.access, f.refresh = fmt.Sprintf("access-%d", f.gen), fmt.Sprintf("refresh-%d", f.gen)
	return &userv1.TokenReply{AccessToken: f.access, RefreshToken: f.refresh, ExpiresIn: 900}
}

func (f *fakeAuth) check(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := md.Get("authorization"); len(v) == 1 && v[0] == "Bearer "+f.access {
		return nil
	}
	f.refused++
	return status.Error(codes.Unauthenticated, "bad token")
}

func (f *fakeAuth) Refresh(_ context.Context, in *userv1.RefreshRequest) (*userv1.TokenReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.GetRefreshToken() != f.refresh {
		return nil, status.Error(codes.Unauthenticated, "refresh token used or unknown")
	}
	f.refreshes++
	return f.rotate(), nil
}

func (f *fakeAuth) Me(ctx context.Context, _ *userv1.MeRequest) (*userv1.UserInfo, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return &userv1.UserInfo{Username: "u"}, nil
}

func (f *fakeAuth) Download(_ *storagev1.DownloadRequest, stream storagev1.Storage_DownloadServer) error {
	if err := f.check(stream.Context()); err != nil {
		return err
	}
	return stream.Send(&storagev1.DownloadData{Data: []byte("hi"), Size: 2})
}

func startFake(t *testing.T) (*fakeAuth, string) {
	t.Helper()
	f := &fakeAuth{}
	f.rotate()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	userv1.RegisterUserServer(gs, f)
	storagev1.RegisterStorageServer(gs, f)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	return f, l.Addr().String()
}

func (f *fakeAuth) counts() (refreshes, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.refused
}

// session opens a session whose saved credentials hold access/refresh.
func session(t *testing.T, addr, access, refresh string, exp time.Time) (*Session, Store) {
	t.Helper()
	st := Store{Path: filepath.Join(t.TempDir(), "credentials.json")}
	c := &Credentials{Server: addr, Username: "u", AccessToken: access, RefreshToken: refresh, ExpiresAt: exp}
	if err := st.Save(c); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Server: addr, Store: st, Creds: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, st
}

func download(ctx context.Context, s *Session) error {
	return s.Do(ctx, func(ctx context.Context) error {
		stream, err := s.Storage.Download(ctx, &storagev1.DownloadRequest{Id: "1"})
		if err != nil {
			return err
		}
		_, err = stream.Recv()
		return err
	})
}

func TestRefreshOnUnauthenticated(t *testing.T) {
	f, addr := startFake(t)
	s, st := session(t, addr, "stale", f.refresh, time.Now().Add(time.Hour))
	ctx := context.Background()
	if _, err := s.User.Me(ctx, &userv1.MeRequest{}); err != nil {
		t.Fatalf("Me with a stale token: %v", err)
	}
	if r, _ := f.counts(); r != 1 {
		t.Errorf("%d refreshes, want 1", r)
	}
	saved, _ := st.Load()
	if saved.AccessToken != f.access || saved.RefreshToken != f.refresh || !saved.ExpiresAt.After(time.Now()) {
		t.Errorf("the renewed tokens were not saved: %+v", saved)
	}
	// A stream refused for its token is run again by Do.
	f.mu.Lock()
	f.rotate() // the server forgets the client's access token
	f.refresh = saved.RefreshToken
	f.mu.Unlock()
	if err := download(ctx, s); err != nil {
		t.Fatalf("Download with a stale token: %v", err)
	}
	if r, _ := f.counts(); r != 2 {
		t.Errorf("%d refreshes, want 2", r)
	}
}

func TestRefreshAhead(t *testing.T) {
	f, addr := startFake(t)
	s, _ := session(t, addr, f.access, f.refresh, time.Now().Add(10*time.Second)) // inside refreshAhead
	if _, err := s.User.Me(context.Background(), &userv1.MeRequest{}); err != nil {
		t.Fatal(err)
	}
	if r, refused := f.counts(); r != 1 || refused != 0 {
		t.Errorf("%d refreshes and %d refused calls; want the token renewed before the call", r, refused)
	}
}

func TestConcurrentRefreshOnce(t *testing.T) {
	f, addr := startFake(t)
	s, _ := session(t, addr, "stale", f.refresh, time.Now().Add(time.Hour))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				_, err := s.User.Me(context.Background(), &userv1.MeRequest{})
				errs <- err
			} else {
				errs <- download(context.Background(), s)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call: %v", err)
		}
	}
	// A refresh token is single-use: one refresh for all of them.
	if r, _ := f.counts(); r != 1 {
		t.Errorf("%d refreshes, want exactly 1", r)
	}
}

func TestRefreshByAnotherProcess(t *testing.T) {
	f, addr := startFake(t)
	s, st := session(t, addr, "stale", "refresh-used-elsewhere", time.Now().Add(time.Hour))
	// Another drive process renewed the credentials file meanwhile.
	c, _ := st.Load()
	c.AccessToken, c.RefreshToken, c.ExpiresAt = f.access, f.refresh, time.Now().Add(time.Hour)
	if err := st.Save(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User.Me(context.Background(), &userv1.MeRequest{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.counts(); r != 0 {
		t.Errorf("%d refreshes; the file's fresh token should have been adopted", r)
	}
	// When its access token has expired too, its refresh token (the live
	// one) is used, not ours.
	c.AccessToken, c.ExpiresAt = "expired-too", time.Now().Add(-time.Minute)
	_ = st.Save(c)
	s2, _ := session(t, addr, "stale", "refresh-used-elsewhere", time.Now().Add(time.Hour))
	s2.store = st
	if _, err := s2.User.Me(context.Background(), &userv1.MeRequest{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.counts(); r != 1 {
		t.Errorf("%d refreshes, want 1 with the file's refresh token", r)
	}
}

func TestSessionExpired(t *testing.T) {
	_, addr := startFake(t)
	s, _ := session(t, addr, "stale", "unknown", time.Now().Add(time.Hour))
	_, err := s.User.Me(context.Background(), &userv1.MeRequest{})
	if !errors.Is(err, ErrSessionExpired) {
		t.Errorf("Me with a dead session: %v", err)
	}
	if err := download(context.Background(), s); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("Download with a dead session: %v", err)
	}
}
