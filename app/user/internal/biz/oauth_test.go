package biz

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

var octocat = &Identity{Provider: "github", Subject: "583231", Login: "octocat", Name: "The Octocat"}

// begin runs Begin and returns the state the provider was given and the nonce.
func (f *fixture) begin(uc *OAuthUsecase, link string) (state, nonce string) {
	f.t.Helper()
	f.provider.EXPECT().Enabled().Return(true)
	f.provider.EXPECT().AuthCodeURL(gomock.Any()).DoAndReturn(func(s string) string {
		state = s
		return "https://github.com/login/oauth/authorize?state=" + url.QueryEscape(s)
	})
	authURL, nonce, err := uc.Begin(link)
	if err != nil {
		f.t.Fatalf("Begin: %v", err)
	}
	if nonce == "" || state == "" || !strings.Contains(authURL, url.QueryEscape(state)) {
		f.t.Fatalf("Begin = %q, %q (state %q)", authURL, nonce, state)
	}
	return state, nonce
}

// redirect splits a Callback answer into its base and query.
func redirect(t *testing.T, got, base string) url.Values {
	t.Helper()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if b := strings.SplitN(got, "?", 2)[0]; b != strings.SplitN(base, "?", 2)[0] {
		t.Fatalf("redirect %q does not go to %q", got, base)
	}
	return u.Query()
}

func TestOAuthDisabled(t *testing.T) {
	f := newFixture(t)
	f.provider.EXPECT().Enabled().Return(false).Times(2)
	uc := f.oauthUC()
	_, _, err := uc.Begin("")
	wantReason(t, err, v1.IsOauthDisabled, "OAUTH_DISABLED")
	_, err = uc.LinkURL(7, "/api/v1/oauth/github/begin")
	wantReason(t, err, v1.IsOauthDisabled, "OAUTH_DISABLED")
}

func TestOAuthBeginWithBadLinkTicket(t *testing.T) {
	f := newFixture(t)
	f.provider.EXPECT().Enabled().Return(true)
	_, _, err := f.oauthUC().Begin("7.9999999999.forged")
	wantReason(t, err, v1.IsOauthFailed, "OAUTH_FAILED")
}

func TestOAuthCallbackRefusals(t *testing.T) {
	tests := []struct {
		name  string
		code  string
		state func(state string) string
		nonce func(nonce string) string
		later time.Duration // clock moved on before the callback
	}{
		{name: "tampered signature", code: "c", state: func(s string) string { return s[:len(s)-2] + "xx" }},
		{name: "tampered user id", code: "c", state: func(s string) string { return "1" + s[strings.Index(s, "."):] }},
		{name: "tampered expiry", code: "c", state: func(s string) string {
			p := strings.Split(s, ".")
			return p[0] + ".99999999999." + p[2]
		}},
		{name: "malformed state", code: "c", state: func(string) string { return "garbage" }},
		{name: "wrong nonce", code: "c", nonce: func(string) string { return "someone-elses-nonce" }},
		{name: "missing nonce cookie", code: "c", nonce: func(string) string { return "" }},
		{name: "missing code", code: ""},
		{name: "expired state", code: "c", later: 11 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			uc := f.oauthUC()
			state, nonce := f.begin(uc, "")
			if tt.state != nil {
				state = tt.state(state)
			}
			if tt.nonce != nil {
				nonce = tt.nonce(nonce)
			}
			f.now = f.now.Add(tt.later)
			// No Exchange, no repo call: the state is checked first.
			got := uc.Callback(context.Background(), tt.code, state, nonce)
			q := redirect(t, got, f.policy.SPACallbackURL)
			if q.Get("error") != "OAUTH_FAILED" || q.Has("ticket") {
				t.Fatalf("redirect = %q, want error=OAUTH_FAILED and no ticket", got)
			}
		})
	}
}

func TestOAuthCallbackProviderError(t *testing.T) {
	f := newFixture(t)
	uc := f.oauthUC()
	state, nonce := f.begin(uc, "")
	f.provider.EXPECT().Exchange(gomock.Any(), "bad-code").Return(nil, errors.New("bad_verification_code"))
	q := redirect(t, uc.Callback(context.Background(), "bad-code", state, nonce), f.policy.SPACallbackURL)
	if q.Get("error") != "OAUTH_FAILED" {
		t.Fatalf("query = %v", q)
	}
}

func TestOAuthNewUserThenExchange(t *testing.T) {
	f := newFixture(t)
	f.policy.SPACallbackURL = "https://drive.example/#/oauth?from=github"
	ctx := context.Background()
	uc := f.oauthUC()
	state, nonce := f.begin(uc, "")

	var created *User
	var ticketHash string
	gomock.InOrder(
		f.provider.EXPECT().Exchange(gomock.Any(), "the-code").Return(octocat, nil),
		f.oauthRepo.EXPECT().FindLink(gomock.Any(), "github", "583231").Return(int64(0), ErrNotFound),
		f.users.EXPECT().Count(gomock.Any()).Return(int64(3), nil),
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
			c := *u
			c.ID = 55
			created = &c
			return created, nil
		}),
		f.oauthRepo.EXPECT().Link(gomock.Any(), int64(55), "github", "583231", "octocat").Return(nil),
		f.users.EXPECT().Get(gomock.Any(), int64(55)).DoAndReturn(func(context.Context, int64) (*User, error) { return created, nil }),
		f.oauthRepo.EXPECT().CreateTicket(gomock.Any(), gomock.Any(), Ticket{UserID: 55}, testNow.Add(time.Minute)).
			DoAndReturn(func(_ context.Context, h string, _ Ticket, _ time.Time) error {
				ticketHash = h
				return nil
			}),
	)
	got := uc.Callback(ctx, "the-code", state, nonce)
	if !strings.HasPrefix(got, f.policy.SPACallbackURL+"&") {
		t.Fatalf("redirect %q does not extend %q with &", got, f.policy.SPACallbackURL)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(got, f.policy.SPACallbackURL+"&"))
	if err != nil {
		t.Fatal(err)
	}
	ticket := q.Get("ticket")
	if ticket == "" || q.Has("error") {
		t.Fatalf("redirect = %q, want a ticket", got)
	}
	if HashToken(ticket) != ticketHash {
		t.Fatal("the stored ticket hash is not the hash of the ticket handed out")
	}
	if created.Username != "octocat" || created.Nickname != "The Octocat" || created.Role != auth.RoleUser || created.Email != "" {
		t.Errorf("created user = %+v (no email: GitHub's is not trusted to match accounts)", created)
	}

	// The SPA trades the ticket once.
	gomock.InOrder(
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), ticketHash, testNow).Return(&Ticket{UserID: 55}, nil),
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), ticketHash, testNow).Return(nil, ErrNotFound),
	)
	f.users.EXPECT().Get(gomock.Any(), int64(55)).Return(created, nil)
	cs := f.expectSessionCreate(55)
	tok, err := uc.Exchange(ctx, ticket, Client{IP: "10.0.0.1"})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	f.checkTokens(tok, created, cs.session.ID, cs.token.Hash)
	_, err = uc.Exchange(ctx, ticket, Client{IP: "10.0.0.1"})
	wantReason(t, err, v1.IsOauthFailed, "OAUTH_FAILED on the second exchange")
}

func TestOAuthCallbackExistingLink(t *testing.T) {
	tests := []struct {
		name      string
		user      *User
		wantError string
	}{
		{"signs in as the linked account", &User{ID: 7, Username: "alice"}, ""},
		{"disabled account", &User{ID: 7, Username: "alice", Disabled: true}, "USER_DISABLED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			uc := f.oauthUC()
			state, nonce := f.begin(uc, "")
			f.provider.EXPECT().Exchange(gomock.Any(), "c").Return(octocat, nil)
			f.oauthRepo.EXPECT().FindLink(gomock.Any(), "github", "583231").Return(int64(7), nil)
			f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(tt.user, nil)
			if tt.wantError == "" {
				f.oauthRepo.EXPECT().CreateTicket(gomock.Any(), gomock.Any(), Ticket{UserID: 7}, gomock.Any()).Return(nil)
			}
			// No Count, Create or Link.
			q := redirect(t, uc.Callback(context.Background(), "c", state, nonce), f.policy.SPACallbackURL)
			if q.Get("error") != tt.wantError || (tt.wantError == "") != q.Has("ticket") {
				t.Fatalf("query = %v, want error %q", q, tt.wantError)
			}
		})
	}
}

func TestOAuthLinkToSignedInUser(t *testing.T) {
	f := newFixture(t)
	uc := f.oauthUC()
	f.provider.EXPECT().Enabled().Return(true)
	link, err := uc.LinkURL(7, "/api/v1/oauth/github/begin")
	if err != nil {
		t.Fatal(err)
	}
	lu, err := url.Parse(link)
	if err != nil || lu.Path != "/api/v1/oauth/github/begin" || lu.Query().Get("link") == "" {
		t.Fatalf("LinkURL = %q, %v", link, err)
	}
	// A link ticket is not a sign-in state, nor the other way round.
	if _, err := uc.verify("state:x", lu.Query().Get("link")); err == nil {
		t.Fatal("a link ticket verified as a state")
	}

	state, nonce := f.begin(uc, lu.Query().Get("link"))
	f.provider.EXPECT().Exchange(gomock.Any(), "c").Return(octocat, nil)
	f.oauthRepo.EXPECT().FindLink(gomock.Any(), "github", "583231").Return(int64(0), ErrNotFound)
	var stored Ticket
	f.oauthRepo.EXPECT().CreateTicket(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, _ string, tk Ticket, _ time.Time) error { stored = tk; return nil })
	// The callback links nothing: it hands the SPA a link ticket to confirm.
	q := redirect(t, uc.Callback(context.Background(), "c", state, nonce), f.policy.SPACallbackURL)
	if q.Get("link_ticket") == "" || q.Get("ticket") != "" {
		t.Fatalf("query = %v, want a link_ticket and no sign-in ticket", q)
	}
	if stored.UserID != 7 || stored.Link == nil || stored.Link.Subject != "583231" {
		t.Fatalf("stored ticket %+v, want a link of 583231 for user 7", stored)
	}

	t.Run("confirmed by another user", func(t *testing.T) {
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), HashToken("lt"), testNow).Return(&stored, nil)
		_, err := uc.ConfirmLink(context.Background(), 8, "lt")
		wantReason(t, err, v1.IsOauthFailed, "OAUTH_FAILED: not the user who asked for the link")
	})
	t.Run("confirmed by its user", func(t *testing.T) {
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), HashToken("lt"), testNow).Return(&stored, nil)
		f.oauthRepo.EXPECT().Link(gomock.Any(), int64(7), "github", "583231", "octocat").Return(nil)
		if login, err := uc.ConfirmLink(context.Background(), 7, "lt"); err != nil || login != "octocat" {
			t.Fatalf("ConfirmLink = %q, %v", login, err)
		}
	})
	t.Run("identity linked to someone else", func(t *testing.T) {
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), HashToken("lt"), testNow).Return(&stored, nil)
		f.oauthRepo.EXPECT().Link(gomock.Any(), int64(7), "github", "583231", "octocat").Return(ErrDuplicate)
		f.oauthRepo.EXPECT().FindLink(gomock.Any(), "github", "583231").Return(int64(9), nil)
		_, err := uc.ConfirmLink(context.Background(), 7, "lt")
		wantReason(t, err, v1.IsOauthAlreadyLinked, "OAUTH_ALREADY_LINKED")
	})
	t.Run("a sign-in ticket is no link ticket", func(t *testing.T) {
		f.oauthRepo.EXPECT().ConsumeTicket(gomock.Any(), HashToken("st"), testNow).Return(&Ticket{UserID: 7}, nil)
		_, err := uc.ConfirmLink(context.Background(), 7, "st")
		wantReason(t, err, v1.IsOauthFailed, "OAUTH_FAILED")
	})
}

func TestGithubUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"octocat", "octocat"},
		{"a", "gh_a"},
		{"", "gh_"},
		{"we!rd name", "werdname"},
		{"名字", "名字"}, // the length rule counts bytes
		{strings.Repeat("x", 60), strings.Repeat("x", 55)},
	}
	for _, tt := range tests {
		if got := githubUsername(tt.in); got != tt.want {
			t.Errorf("githubUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
