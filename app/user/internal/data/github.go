package data

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
)

// GitHubProvider signs people in with GitHub's OAuth web flow.
type GitHubProvider struct {
	cfg    *oauth2.Config
	apiURL string
	client *http.Client
}

var _ biz.OAuthProvider = (*GitHubProvider)(nil)

// NewGitHubProvider reads its endpoints from config, defaulting to github.com.
func NewGitHubProvider(c *conf.OAuth) biz.OAuthProvider {
	g := c.GetGithub()
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return strings.TrimRight(v, "/")
	}
	return &GitHubProvider{
		cfg: &oauth2.Config{
			ClientID:     g.GetClientId(),
			ClientSecret: g.GetClientSecret(),
			RedirectURL:  g.GetRedirectUrl(),
			Scopes:       []string{"read:user", "user:email"},
			Endpoint: oauth2.Endpoint{
				AuthURL:  def(g.GetAuthUrl(), "https://github.com/login/oauth/authorize"),
				TokenURL: def(g.GetTokenUrl(), "https://github.com/login/oauth/access_token"),
			},
		},
		apiURL: def(g.GetApiUrl(), "https://api.github.com"),
		client: &http.Client{Timeout: 15 * time.Second},
	}
}

// Name implements biz.OAuthProvider.
func (p *GitHubProvider) Name() string { return "github" }

// Enabled implements biz.OAuthProvider.
func (p *GitHubProvider) Enabled() bool { return p.cfg.ClientID != "" && p.cfg.ClientSecret != "" }

// AuthCodeURL implements biz.OAuthProvider.
func (p *GitHubProvider) AuthCodeURL(state string) string { return p.cfg.AuthCodeURL(state) }

// Exchange implements biz.OAuthProvider.
func (p *GitHubProvider) Exchange(ctx context.Context, code string) (*biz.Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.cfg.Exchange(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("github: exchange: %w", err)
	}
	hc := p.cfg.Client(ctx, tok)
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := getJSON(ctx, hc, p.apiURL+"/user", &u); err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, fmt.Errorf("github: no user id")
	}
	id := &biz.Identity{Provider: "github", Subject: strconv.FormatInt(u.ID, 10), Login: u.Login, Name: u.Name}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := getJSON(ctx, hc, p.apiURL+"/user/emails", &emails); err == nil {
		for _, e := range emails {
			if e.Primary && e.Verified {
				id.Email = e.Email
			}
		}
	}
	return id, nil
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("github: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("github: %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
