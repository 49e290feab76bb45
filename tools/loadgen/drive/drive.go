// Package drive is a small HTTP client of the drive's public API, as the web
// app and the CLI use it through the gateway: sign-up, listings, folders,
// chunked and one-request uploads, downloads through signed URLs, shares.
// The load generator (tools/loadgen) and the cluster's fault tests
// (deploy/local) drive the cluster with it; every failure comes back as an
// *APIError (the server answered) or a transport error (it did not).
package drive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"clouddrive/pkg/contenthash"
)

// APIError is an answer other than 2xx: the status and the service's
// {code, reason, message}.
type APIError struct {
	Op      string
	Status  int
	Reason  string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.Op, e.Status, e.Reason, e.Message)
}

// Clear reports whether err is a failure a person can act on: the server
// answered with a reason, and not a bare internal error. A transport error
// (no answer), an answer without a reason, or a 500 is not clear.
func Clear(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Reason != "" && ae.Status != http.StatusInternalServerError
}

// ReasonOf is the reason of an *APIError, "" for anything else.
func ReasonOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// Client is one signed-in user (or none, before SignUp).
type Client struct {
	Base  string // the gateway, "http://127.0.0.1:port"
	HC    *http.Client
	Token string
}

// New returns a client of base with no account yet.
func New(base string, hc *http.Client) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), HC: hc}
}

// With returns a copy of c that sends requests to base instead (an
// instance's own port, bypassing the gateway) with the same account.
func (c *Client) With(base string) *Client {
	cc := *c
	cc.Base = strings.TrimRight(base, "/")
	return &cc
}

// I64 reads an int64 as protojson writes it (a string) or as a number.
type I64 int64

func (v *I64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*v = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	*v = I64(n)
	return err
}

// Node is a file or folder.
type Node struct {
	ID          string `json:"id"`
	ParentID    string `json:"parent_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Size        I64    `json:"size"`
	ContentHash string `json:"content_hash"`
	TrashedAt   string `json:"trashed_at"`
}

// Session is an upload session.
type Session struct {
	UploadID   string `json:"upload_id"`
	ChunkSize  I64    `json:"chunk_size"`
	ChunkCount I64    `json:"chunk_count"`
	Uploaded   []I64  `json:"uploaded_chunks"`
}

// Missing is the chunks the server does not hold yet, in order.
func (s *Session) Missing() []int64 {
	have := map[int64]bool{}
	for _, i := range s.Uploaded {
		have[int64(i)] = true
	}
	var out []int64
	for i := int64(0); i < int64(s.ChunkCount); i++ {
		if !have[i] {
			out = append(out, i)
		}
	}
	return out
}

// Usage is the quota.
type Usage struct {
	Used  I64 `json:"used_bytes"`
	Limit I64 `json:"limit_bytes"`
}

// Share is a created share link.
type Share struct {
	Token string `json:"token"`
	Code  string `json:"code"`
}

// Do sends a JSON request (body nil for none; a GET's query goes in path)
// and decodes a 2xx answer into out (nil: discarded).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, path, out)
}

func (c *Client) send(req *http.Request, op string, out any) error {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return answerError(op, resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: reading the answer: %w", op, err)
	}
	return nil
}

func answerError(op string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct{ Reason, Message string }
	_ = json.Unmarshal(b, &e)
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(b))
	}
	if i := strings.IndexByte(op, '?'); i >= 0 {
		op = op[:i]
	}
	return &APIError{Op: op, Status: resp.StatusCode, Reason: e.Reason, Message: e.Message}
}

// SignUp registers username with password and signs in.
func (c *Client) SignUp(ctx context.Context, username, password string) error {
	cred := map[string]string{"username": username, "password": password}
	if err := c.Do(ctx, "POST", "/v1/user/register", cred, nil); err != nil {
		return err
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.Do(ctx, "POST", "/v1/user/login", cred, &tr); err != nil {
		return err
	}
	c.Token = tr.AccessToken
	return nil
}

// Mkdir makes folder name in parent ("" for the root).
func (c *Client) Mkdir(ctx context.Context, parent, name string) (Node, error) {
	var n Node
	err := c.Do(ctx, "POST", "/v1/file/mkdir", map[string]string{"parent_id": parent, "name": name}, &n)
	return n, err
}

// List is one page of parent's children.
func (c *Client) List(ctx context.Context, parent string, pageSize int, pageToken string) ([]Node, string, error) {
	var r struct {
		Items []Node `json:"items"`
		Next  string `json:"next_page_token"`
	}
	q := url.Values{"parent_id": {parent}, "page_size": {strconv.Itoa(pageSize)}, "page_token": {pageToken}}
	err := c.Do(ctx, "GET", "/v1/file/list?"+q.Encode(), nil, &r)
	return r.Items, r.Next, err
}

// ListAll is every child of parent.
func (c *Client) ListAll(ctx context.Context, parent string) ([]Node, error) {
	var all []Node
	tok := ""
	for {
		items, next, err := c.List(ctx, parent, 1000, tok)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		tok = next
	}
}

// Stat is one node.
func (c *Client) Stat(ctx context.Context, id string) (Node, error) {
	var n Node
	err := c.Do(ctx, "GET", "/v1/file/stat?id="+url.QueryEscape(id), nil, &n)
	return n, err
}

// Move moves ids into parent.
func (c *Client) Move(ctx context.Context, ids []string, parent string) error {
	return c.Do(ctx, "POST", "/v1/file/move", map[string]any{"ids": ids, "parent_id": parent}, nil)
}

// Copy copies ids into parent, renaming a copy whose name is taken.
func (c *Client) Copy(ctx context.Context, ids []string, parent string) ([]Node, error) {
	var r struct {
		Items []Node `json:"items"`
	}
	err := c.Do(ctx, "POST", "/v1/file/copy", map[string]any{"ids": ids, "parent_id": parent, "on_conflict": "rename"}, &r)
	return r.Items, err
}

// Usage is the caller's quota.
func (c *Client) Usage(ctx context.Context) (Usage, error) {
	var u Usage
	err := c.Do(ctx, "GET", "/v1/file/usage", nil, &u)
	return u, err
}

// Init starts (or resumes) the upload of ct as name in parent.
func (c *Client) Init(ctx context.Context, parent, name string, ct Content) (Session, error) {
	var s Session
	err := c.Do(ctx, "POST", "/v1/upload/init", map[string]any{"parent_id": parent, "name": name,
		"size": strconv.FormatInt(ct.Size, 10), "content_hash": ct.Hash()}, &s)
	return s, err
}

// Status is the session's state: the chunks the server holds.
func (c *Client) Status(ctx context.Context, uploadID string) (Session, error) {
	var s Session
	err := c.Do(ctx, "GET", "/v1/upload/status?upload_id="+url.QueryEscape(uploadID), nil, &s)
	return s, err
}

// ChunkPath is where chunk i of an upload is PUT.
func ChunkPath(uploadID string, i int64) string {
	return "/v1/upload/" + url.PathEscape(uploadID) + "/" + strconv.FormatInt(i, 10)
}

// PutChunk sends chunk i of ct, its bytes read from body when not nil (a
// test's slowed reader), else generated.
func (c *Client) PutChunk(ctx context.Context, s Session, ct Content, i int64, body io.Reader) error {
	off := i * int64(s.ChunkSize)
	n := min(int64(s.ChunkSize), ct.Size-off)
	if body == nil {
		body = bytes.NewReader(ct.Bytes(off, n))
	}
	req, err := http.NewRequestWithContext(ctx, "PUT", c.Base+ChunkPath(s.UploadID, i), body)
	if err != nil {
		return err
	}
	req.ContentLength = n
	return c.send(req, "PUT /v1/upload/{id}/"+strconv.FormatInt(i, 10), nil)
}

// Complete publishes the upload and returns its node.
func (c *Client) Complete(ctx context.Context, uploadID string) (Node, error) {
	var n Node
	err := c.Do(ctx, "POST", "/v1/upload/complete", map[string]string{"upload_id": uploadID}, &n)
	return n, err
}

// Upload sends ct whole as name in parent: init, the chunks the server
// does not hold, complete.
func (c *Client) Upload(ctx context.Context, parent, name string, ct Content) (Node, error) {
	s, err := c.Init(ctx, parent, name, ct)
	if err != nil {
		return Node{}, err
	}
	for _, i := range s.Missing() {
		if err := c.PutChunk(ctx, s, ct, i, nil); err != nil {
			return Node{}, err
		}
	}
	return c.Complete(ctx, s.UploadID)
}

// PutFile sends a small file in one request, with its content hash (the
// server wants it beyond 1 MiB and checks it always).
func (c *Client) PutFile(ctx context.Context, parent, name string, data []byte) (Node, error) {
	q := url.Values{"parent_id": {parent}, "name": {name}, "content_hash": {contenthash.HashBytes(data)}}
	req, err := http.NewRequestWithContext(ctx, "PUT", c.Base+"/v1/upload/file?"+q.Encode(), bytes.NewReader(data))
	if err != nil {
		return Node{}, err
	}
	var n Node
	err = c.send(req, "PUT /v1/upload/file", &n)
	return n, err
}

// Download fetches node id through a signed URL and returns its content
// hash and length.
func (c *Client) Download(ctx context.Context, id string) (string, int64, error) {
	var su struct {
		URL string `json:"url"`
	}
	if err := c.Do(ctx, "POST", "/v1/download/url", map[string]string{"id": id}, &su); err != nil {
		return "", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+su.URL, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("GET /v1/download/file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, answerError("GET /v1/download/file", resp)
	}
	h := NewHasher()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return "", n, fmt.Errorf("GET /v1/download/file: %w", err)
	}
	return h.Sum(), n, nil
}

// CreateShare shares node id with a generated extraction code, shown in
// recipient's "shared with me" when recipient is not empty.
func (c *Client) CreateShare(ctx context.Context, id, recipient string) (Share, error) {
	var s Share
	err := c.Do(ctx, "POST", "/v1/share/create", map[string]any{"node_id": id, "generate_code": true,
		"recipient": recipient}, &s)
	return s, err
}

// OpenShare opens a share by its token and code (no account needed).
func (c *Client) OpenShare(ctx context.Context, token, code string) error {
	return c.Do(ctx, "POST", "/v1/share/open", map[string]string{"token": token, "code": code}, nil)
}

// Notifications counts the caller's notifications (every page).
func (c *Client) Notifications(ctx context.Context) (int, error) {
	n, tok := 0, ""
	for {
		var r struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next_page_token"`
		}
		q := url.Values{"page_size": {"100"}, "page_token": {tok}}
		if err := c.Do(ctx, "GET", "/v1/notify/list?"+q.Encode(), nil, &r); err != nil {
			return 0, err
		}
		n += len(r.Items)
		if r.Next == "" || len(r.Items) == 0 {
			return n, nil
		}
		tok = r.Next
	}
}
