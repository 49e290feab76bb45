package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	filev1 "clouddrive/api/file/v1"
	sharev1 "clouddrive/api/share/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
)

// refreshAhead is how long before its expiry an access token is renewed.
const refreshAhead = 30 * time.Second

// Options say where to connect and as whom.
type Options struct {
	Server string
	TLS    bool
	Store  Store
	// Creds is nil for an anonymous session (login).
	Creds       *Credentials
	DialOptions []grpc.DialOption
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Session is a connection to the drive as one user.
type Session struct {
	Conn    *grpc.ClientConn
	User    userv1.UserClient
	Files   filev1.FileClient
	Storage storagev1.StorageClient
	Shares  sharev1.ShareClient

	store Store
	now   func() time.Time

	mu    sync.Mutex
	creds *Credentials
}

// Open dials the server. No network traffic happens before the first call.
func Open(o Options) (*Session, error) {
	s := &Session{store: o.Store, creds: o.Creds, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	tc := insecure.NewCredentials()
	if o.TLS {
		tc = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(tc),
		grpc.WithUnaryInterceptor(s.unary),
		grpc.WithStreamInterceptor(s.stream),
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(4 * windowSize),
	}, o.DialOptions...)
	conn, err := grpc.NewClient(o.Server, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", o.Server, err)
	}
	s.Conn = conn
	s.User = userv1.NewUserClient(conn)
	s.Files = filev1.NewFileClient(conn)
	s.Storage = storagev1.NewStorageClient(conn)
	s.Shares = sharev1.NewShareClient(conn)
	return s, nil
}

// Close closes the connection.
func (s *Session) Close() error { return s.Conn.Close() }

// Credentials returns a copy of the current credentials (nil when anonymous).
func (s *Session) Credentials() *Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds == nil {
		return nil
	}
	c := *s.creds
	return &c
}

// IsUnauthenticated reports whether err says the access token was refused.
func IsUnauthenticated(err error) bool {
	return err != nil && status.Code(err) == codes.Unauthenticated
}

// Do runs a call that opens a stream (whose token is checked when the stream
// starts, so no interceptor can retry it) and runs it again once with a
// fresh token when the first try is refused as unauthenticated.
func (s *Session) Do(ctx context.Context, call func(context.Context) error) error {
	s.mu.Lock()
	anon := s.creds == nil
	var tok string
	if !anon {
		tok = s.creds.AccessToken
	}
	s.mu.Unlock()
	err := call(ctx)
	if anon || !IsUnauthenticated(err) {
		return err
	}
	if _, rerr := s.refresh(ctx, tok); rerr != nil {
		return rerr
	}
	return call(ctx)
}

// public methods carry no token.
func public(method string) bool {
	switch method {
	case userv1.User_Login_FullMethodName, userv1.User_Refresh_FullMethodName,
		userv1.User_Register_FullMethodName, userv1.User_Logout_FullMethodName:
		return true
	}
	return false
}

func withToken(ctx context.Context, tok string) context.Context {
	if tok == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func (s *Session) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if public(method) {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	err = invoker(withToken(ctx, tok), method, req, reply, cc, opts...)
	if tok == "" || !IsUnauthenticated(err) {
		return err
	}
	if tok, err = s.refresh(ctx, tok); err != nil {
		return err
	}
	return invoker(withToken(ctx, tok), method, req, reply, cc, opts...)
}

func (s *Session) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	tok, err := s.token(ctx)
	if err != nil {
		return nil, err
	}
	return streamer(withToken(ctx, tok), desc, cc, method, opts...)
}

// token is the current access token, renewed first when it is about to expire.
func (s *Session) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.creds == nil {
		s.mu.Unlock()
		return "", nil
	}
	tok, exp := s.creds.AccessToken, s.creds.ExpiresAt
	s.mu.Unlock()
	if tok != "" && (exp.IsZero() || s.now().Add(refreshAhead).Before(exp)) {
		return tok, nil
	}
	return s.refresh(ctx, tok)
}

// ErrSessionExpired is returned when the refresh token is refused too.
var ErrSessionExpired = errors.New("the session has expired (run: drive login -u USER)")

// refresh renews the access token that failed (stale). Other calls of this
// process, and other drive processes sharing the credentials file, may have
// renewed it already: a refresh token is single-use (presenting a used one
// revokes the session), so the file is locked, re-read, and only refreshed
// when it still holds the stale token.
func (s *Session) refresh(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds.AccessToken != stale && s.creds.AccessToken != "" {
		return s.creds.AccessToken, nil // renewed by another call meanwhile
	}
	unlock, err := lockFile(s.store.Path + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if saved, err := s.store.Load(); err == nil && saved.Server == s.creds.Server && saved.AccessToken != stale &&
		saved.AccessToken != "" && s.now().Add(refreshAhead).Before(saved.ExpiresAt) {
		s.creds = saved // another drive process renewed it
		return saved.AccessToken, nil
	} else if err == nil && saved.Server == s.creds.Server && saved.RefreshToken != "" {
		s.creds.RefreshToken = saved.RefreshToken
	}
	reply, err := s.User.Refresh(ctx, &userv1.RefreshRequest{RefreshToken: s.creds.RefreshToken})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		switch status.Code(err) {
		case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.NotFound:
			return "", ErrSessionExpired
		}
		return "", fmt.Errorf("renewing the access token: %w", err)
	}
	s.creds.AccessToken = reply.GetAccessToken()
	if reply.GetRefreshToken() != "" {
		s.creds.RefreshToken = reply.GetRefreshToken()
	}
	s.creds.ExpiresAt = ExpiresAt(s.now(), reply.GetExpiresIn())
	if err := s.store.Save(s.creds); err != nil {
		return "", fmt.Errorf("saving the renewed credentials: %w", err)
	}
	return s.creds.AccessToken, nil
}

// ExpiresAt is when a token issued now with expires_in seconds expires;
// zero when unknown.
func ExpiresAt(now time.Time, expiresIn int64) time.Time {
	if expiresIn <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(expiresIn) * time.Second)
}

// Describe turns an error from the drive into one line for a person.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
		return "interrupted"
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable {
		return "the server is unreachable: " + st.Message()
	}
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err.Error()
	}
	e := kerrors.FromError(err)
	msg := e.Message
	if msg == "" {
		msg = strings.ToLower(e.Reason)
	}
	if e.Reason != "" {
		return fmt.Sprintf("%s (%s)", msg, e.Reason)
	}
	return msg
}

// windowSize is the flow-control window of one stream: what the server may
// send ahead of the reader. A fixed window (gRPC's automatic one grows to
// 16 MiB per stream) keeps a download's memory at a few MiB per range worker.
const windowSize = 2 << 20
