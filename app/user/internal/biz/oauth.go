package biz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/user/v1"
)

// Identity is who the provider says the person is.
type Identity struct {
	Provider string
	Subject  string // the provider's stable user id
	Login    string
	Name     string
	Email    string // verified primary email, if any
}

// OAuthProvider is GitHub (or a fake of it in tests).
type OAuthProvider interface {
	Name() string
	Enabled() bool
	AuthCodeURL(state string) string
	Exchange(ctx context.Context, code string) (*Identity, error)
}

// Ticket is what a finished provider callback hands to the SPA, once: a
// sign-in for UserID, or (Link set) a link of that identity to UserID that
// UserID must still confirm.
type Ticket struct {
	UserID int64
	Link   *Identity
}

// OAuthRepo stores links between provider identities and accounts, and the
// one-time tickets that hand a finished flow to the SPA.
type OAuthRepo interface {
	FindLink(ctx context.Context, provider, subject string) (int64, error)
	// Link attaches an identity; ErrDuplicate when it is attached already.
	Link(ctx context.Context, userID int64, provider, subject, login string) error
	CreateTicket(ctx context.Context, hash string, t Ticket, expires time.Time) error
	// ConsumeTicket returns the ticket once; ErrNotFound after.
	ConsumeTicket(ctx context.Context, hash string, now time.Time) (*Ticket, error)
}

// OAuthUsecase signs people in with GitHub.
type OAuthUsecase struct {
	provider OAuthProvider
	repo     OAuthRepo
	users    UserRepo
	sessions *SessionUsecase
	policy   *Policy
	now      Clock
	log      *log.Helper
}

// NewOAuthUsecase builds the use case.
func NewOAuthUsecase(provider OAuthProvider, repo OAuthRepo, users UserRepo, sessions *SessionUsecase, p *Policy, now Clock, logger log.Logger) *OAuthUsecase {
	return &OAuthUsecase{provider: provider, repo: repo, users: users, sessions: sessions, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/oauth"))}
}

const stateTTL = 10 * time.Minute

// Begin returns where to send the browser and the nonce to bind to it (in a
// cookie): the state is signed, expires, and names the account to link when
// a signed-in user started the flow.
func (uc *OAuthUsecase) Begin(linkTicket string) (authURL, nonce string, err error) {
	if !uc.provider.Enabled() {
		return "", "", v1.ErrorOauthDisabled("GitHub sign-in is not configured")
	}
	var linkUID int64
	if linkTicket != "" {
		if linkUID, err = uc.verify("link", linkTicket); err != nil {
			return "", "", v1.ErrorOauthFailed("the link request is invalid or expired")
		}
	}
	if nonce, err = randomString(16); err != nil {
		return "", "", err
	}
	state := uc.sign("state:"+nonce, linkUID)
	return uc.provider.AuthCodeURL(state), nonce, nil
}

// Enabled reports whether GitHub sign-in is configured.
func (uc *OAuthUsecase) Enabled() bool { return uc.provider.Enabled() }

// LinkURL is where a signed-in user starts linking GitHub to their account.
func (uc *OAuthUsecase) LinkURL(uid int64, beginPath string) (string, error) {
	if !uc.provider.Enabled() {
		return "", v1.ErrorOauthDisabled("GitHub sign-in is not configured")
	}
	return beginPath + "?link=" + url.QueryEscape(uc.sign("link", uid)), nil
}

// Callback finishes the provider's redirect and returns the SPA address to
// send the browser to, with a one-time ticket or an error reason.
func (uc *OAuthUsecase) Callback(ctx context.Context, code, state, nonce string) string {
	ticket, link, err := uc.callback(ctx, code, state, nonce)
	q := url.Values{}
	switch {
	case err != nil:
		reason := "OAUTH_FAILED"
		if v1.IsUserDisabled(err) {
			reason = "USER_DISABLED"
		} else if v1.IsOauthAlreadyLinked(err) {
			reason = "OAUTH_ALREADY_LINKED"
		}
		uc.log.WithContext(ctx).Warnw("msg", "oauth callback failed", "err", err)
		q.Set("error", reason)
	case link:
		q.Set("link_ticket", ticket)
	default:
		q.Set("ticket", ticket)
	}
	sep := "?"
	if strings.Contains(uc.policy.SPACallbackURL, "?") {
		sep = "&"
	}
	return uc.policy.SPACallbackURL + sep + q.Encode()
}

// callback returns a one-time ticket: a sign-in, or (link true) a pending
// link that the user who started it confirms with OAuthLinkConfirm.
func (uc *OAuthUsecase) callback(ctx context.Context, code, state, nonce string) (string, bool, error) {
	if nonce == "" || code == "" {
		return "", false, errors.New("missing code or state cookie")
	}
	linkUID, err := uc.verify("state:"+nonce, state)
	if err != nil {
		return "", false, err
	}
	id, err := uc.provider.Exchange(ctx, code)
	if err != nil {
		return "", false, err
	}
	uid, err := uc.repo.FindLink(ctx, id.Provider, id.Subject)
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", false, err
	case linkUID > 0:
		if err == nil && uid != linkUID {
			return "", false, v1.ErrorOauthAlreadyLinked("this GitHub account is linked to another account")
		}
		// Never link here: whoever followed the link URL may not be who made
		// it. The SPA confirms with the maker's own access token.
		t, err := uc.ticket(ctx, Ticket{UserID: linkUID, Link: id})
		return t, true, err
	case err == nil:
		// Already linked: sign in as that account.
	default:
		// A new account. An account with the same email is not taken over:
		// our emails are not verified, so matching on them would let anyone
		// who registers a victim's address own the victim's GitHub sign-in.
		u, err := createWithFreeName(ctx, uc.users, uc.policy,
			&User{Nickname: firstNonEmpty(id.Name, id.Login)}, githubUsername(id.Login))
		if err != nil {
			return "", false, err
		}
		uid = u.ID
		if err := uc.repo.Link(ctx, uid, id.Provider, id.Subject, id.Login); err != nil {
			return "", false, err
		}
	}
	u, err := uc.users.Get(ctx, uid)
	if err != nil {
		return "", false, err
	}
	if u.Disabled {
		return "", false, errDisabled()
	}
	t, err := uc.ticket(ctx, Ticket{UserID: uid})
	return t, false, err
}

func (uc *OAuthUsecase) ticket(ctx context.Context, t Ticket) (string, error) {
	raw, err := randomString(32)
	if err != nil {
		return "", err
	}
	if err := uc.repo.CreateTicket(ctx, HashToken(raw), t, uc.now().Add(uc.policy.OAuthTicketTTL)); err != nil {
		return "", err
	}
	return raw, nil
}

// Exchange trades a sign-in ticket for tokens, once.
func (uc *OAuthUsecase) Exchange(ctx context.Context, ticket string, c Client) (*Tokens, error) {
	t, err := uc.repo.ConsumeTicket(ctx, HashToken(ticket), uc.now())
	if errors.Is(err, ErrNotFound) || (err == nil && t.Link != nil) {
		return nil, v1.ErrorOauthFailed("the sign-in ticket is invalid or expired")
	}
	if err != nil {
		return nil, err
	}
	u, err := uc.users.Get(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	return uc.sessions.Start(ctx, u, c)
}

// ConfirmLink attaches the identity of a link ticket to uid, which must be
// the user who asked for the link URL. It returns the provider login.
func (uc *OAuthUsecase) ConfirmLink(ctx context.Context, uid int64, ticket string) (string, error) {
	t, err := uc.repo.ConsumeTicket(ctx, HashToken(ticket), uc.now())
	if errors.Is(err, ErrNotFound) || (err == nil && (t.Link == nil || t.UserID != uid)) {
		return "", v1.ErrorOauthFailed("the link ticket is invalid, expired or not yours")
	}
	if err != nil {
		return "", err
	}
	id := t.Link
	err = uc.repo.Link(ctx, uid, id.Provider, id.Subject, id.Login)
	if errors.Is(err, ErrDuplicate) {
		owner, ferr := uc.repo.FindLink(ctx, id.Provider, id.Subject)
		if ferr != nil {
			return "", ferr
		}
		if owner != uid {
			return "", v1.ErrorOauthAlreadyLinked("this GitHub account is linked to another account")
		}
		err = nil
	}
	if err != nil {
		return "", err
	}
	uc.log.WithContext(ctx).Infow("msg", "github linked", "uid", uid)
	return id.Login, nil
}

// sign makes "uid.exp.mac", a value only this service can have made.
func (uc *OAuthUsecase) sign(purpose string, uid int64) string {
	body := strconv.FormatInt(uid, 10) + "." + strconv.FormatInt(uc.now().Add(stateTTL).Unix(), 10)
	return body + "." + uc.mac(purpose, body)
}

func (uc *OAuthUsecase) verify(purpose, v string) (int64, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, errors.New("malformed state")
	}
	body := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(uc.mac(purpose, body)), []byte(parts[2])) {
		return 0, errors.New("state signature mismatch")
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || uc.now().Unix() > exp {
		return 0, errors.New("state expired")
	}
	uid, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed state: %w", err)
	}
	return uid, nil
}

func (uc *OAuthUsecase) mac(purpose, body string) string {
	m := hmac.New(sha256.New, uc.policy.Secret)
	m.Write([]byte("oauth\x00" + purpose + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var notUsername = regexp.MustCompile(`[^\p{L}\p{N}_.-]`)

func githubUsername(login string) string {
	u := notUsername.ReplaceAllString(login, "")
	if len(u) < 3 {
		u = "gh_" + u
	}
	if len(u) > 55 { // room for "_" and 8 digits within 64 bytes
		u = strings.ToValidUTF8(u[:55], "")
	}
	return u
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
