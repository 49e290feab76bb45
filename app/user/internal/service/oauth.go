package service

import (
	"net/http"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apierror"
)

// The GitHub web flow is browser navigation, not JSON: two plain HTTP routes.
const (
	GitHubBeginPath    = "/v1/user/oauth/github"
	GitHubCallbackPath = "/v1/user/oauth/github/callback"
	nonceCookie        = "cd_oauth_nonce"
)

// OAuthHandler serves the GitHub redirect and callback.
type OAuthHandler struct {
	uc  *biz.OAuthUsecase
	log *log.Helper
}

// NewOAuthHandler builds the handler.
func NewOAuthHandler(uc *biz.OAuthUsecase, logger log.Logger) *OAuthHandler {
	return &OAuthHandler{uc: uc, log: log.NewHelper(log.With(logger, "module", "service/oauth"))}
}

// Begin redirects to GitHub, binding the flow to this browser with a cookie.
func (h *OAuthHandler) Begin(w http.ResponseWriter, r *http.Request) {
	to, nonce, err := h.uc.Begin(r.URL.Query().Get("link"))
	if err != nil {
		apierror.WriteHTTP(w, apierror.Localize(errors.FromError(err), r.Header.Get("Accept-Language")))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: nonceCookie, Value: nonce, Path: "/v1/user/oauth", MaxAge: 600,
		HttpOnly: true, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusFound)
}

// Callback finishes the flow and sends the browser to the SPA with a ticket.
func (h *OAuthHandler) Callback(w http.ResponseWriter, r *http.Request) {
	nonce := ""
	if c, err := r.Cookie(nonceCookie); err == nil {
		nonce = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: nonceCookie, Value: "", Path: "/v1/user/oauth", MaxAge: -1, HttpOnly: true})
	q := r.URL.Query()
	to := h.uc.Callback(r.Context(), q.Get("code"), q.Get("state"), nonce)
	http.Redirect(w, r, to, http.StatusFound)
}
