package biz

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/auth"
)

// URLSigner signs and checks download URLs (*auth.URLSigner).
type URLSigner interface {
	Sign(path string, params url.Values, userID int64, ttl time.Duration) string
	Verify(path string, q url.Values) (auth.Signed, error)
}

// Link is what a signed URL says about itself, for the checks made at each
// request: the user it was signed for and when (against revocations), and
// the share it was signed through, if any (against the share's state).
type Link struct {
	UserID   int64
	SignedAt time.Time
	// Share is the token of the share whose download this is; "" for the
	// owner's own.
	Share string
	IDs   []int64
}

// paramShare names the share a URL was signed through (signed with it).
const paramShare = "share"

// ShareService is the share service's internal API: whether a share still
// allows a download of these nodes of owner, counting one when asked.
type ShareService interface {
	CheckDownload(ctx context.Context, share string, owner int64, ids []int64, count bool) error
}

// ShareGate checks a share's URL against the share as it is now, at every
// request for its bytes: revoked, expired, limit reached, owner disabled,
// node trashed or purged since the URL was signed all refuse it.
type ShareGate struct {
	shares ShareService
}

// NewShareGate builds the gate.
func NewShareGate(shares ShareService) *ShareGate { return &ShareGate{shares: shares} }

// Check passes a URL signed for its owner's own download; a share's is
// asked about, and counted as one download when count is set (a request
// served from the first byte).
func (g *ShareGate) Check(ctx context.Context, l Link, count bool) error {
	if l.Share == "" {
		return nil
	}
	return g.shares.CheckDownload(ctx, l.Share, l.UserID, l.IDs, count)
}

// Paths of the signed download routes.
const (
	FilePath = "/v1/download/file"
	// Not /v1/download/zip: that is the RPC that signs these URLs.
	ZipPath = "/v1/download/archive"
)

// DownloadUsecase hands out signed URLs and serves what they name.
type DownloadUsecase struct {
	files  FileService
	blobs  BlobRepo
	store  BlobStore
	signer URLSigner
	policy *Policy
	now    Clock
	log    *log.Helper
}

// NewDownloadUsecase builds the use case.
func NewDownloadUsecase(files FileService, blobs BlobRepo, store BlobStore, signer URLSigner, p *Policy, now Clock, logger log.Logger) *DownloadUsecase {
	return &DownloadUsecase{files: files, blobs: blobs, store: store, signer: signer, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/download"))}
}

// SignedURL is a URL and when it stops working.
type SignedURL struct {
	URL       string
	ExpiresAt time.Time
}

func (uc *DownloadUsecase) liveFile(ctx context.Context, owner, id int64) (*FileNode, error) {
	n, err := uc.files.GetFile(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if n.Folder {
		return nil, v1.ErrorFileNotFound("%q is a folder: download it as a zip", n.Name)
	}
	return n, nil
}

// FileURL signs a URL for one of the owner's files. inline asks browsers
// to show rather than save it (previews).
func (uc *DownloadUsecase) FileURL(ctx context.Context, owner, id int64, inline bool) (*SignedURL, error) {
	return uc.fileURL(ctx, owner, id, inline, "")
}

// ShareFileURL signs a URL for a file of owner downloaded through share:
// each GET of it asks the share again (ShareGate).
func (uc *DownloadUsecase) ShareFileURL(ctx context.Context, owner, id int64, share string) (*SignedURL, error) {
	return uc.fileURL(ctx, owner, id, false, share)
}

func (uc *DownloadUsecase) fileURL(ctx context.Context, owner, id int64, inline bool, share string) (*SignedURL, error) {
	if _, err := uc.liveFile(ctx, owner, id); err != nil {
		return nil, err
	}
	q := url.Values{"id": {strconv.FormatInt(id, 10)}}
	if inline {
		q.Set("inline", "1")
	}
	if share != "" {
		q.Set(paramShare, share)
	}
	return &SignedURL{URL: uc.signer.Sign(FilePath, q, owner, uc.policy.URLTTL), ExpiresAt: uc.now().Add(min(uc.policy.URLTTL, auth.MaxURLTTL))}, nil
}

// ZipURL signs a URL for a zip of the owner's selection.
func (uc *DownloadUsecase) ZipURL(ctx context.Context, owner int64, ids []int64, name string) (*SignedURL, error) {
	return uc.zipURL(ctx, owner, ids, name, "")
}

// ShareZipURL signs a URL for a zip of owner's selection downloaded
// through share: each GET of it asks the share again (ShareGate).
func (uc *DownloadUsecase) ShareZipURL(ctx context.Context, owner int64, ids []int64, name, share string) (*SignedURL, error) {
	return uc.zipURL(ctx, owner, ids, name, share)
}

func (uc *DownloadUsecase) zipURL(ctx context.Context, owner int64, ids []int64, name, share string) (*SignedURL, error) {
	if _, _, err := uc.selection(ctx, owner, ids); err != nil {
		return nil, err
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	q := url.Values{"ids": {strings.Join(s, ",")}}
	if name != "" {
		q.Set("name", name)
	}
	if share != "" {
		q.Set(paramShare, share)
	}
	return &SignedURL{URL: uc.signer.Sign(ZipPath, q, owner, uc.policy.URLTTL), ExpiresAt: uc.now().Add(min(uc.policy.URLTTL, auth.MaxURLTTL))}, nil
}

// linkError is the one answer to a bad or expired signature.
func linkError() error { return v1.ErrorLinkInvalid("this download link is invalid or has expired") }

// Opened is a file ready to stream.
type Opened struct {
	Node   *FileNode
	Inline bool
	Body   io.ReadSeekCloser
	// Link is the signed URL's, to be checked before a byte is served.
	Link Link
}

// OpenSigned checks a signed file URL and opens what it names. The node is
// looked up again: a file deleted since the URL was made is gone. The
// caller checks o.Link (revocations, the share) before serving.
func (uc *DownloadUsecase) OpenSigned(ctx context.Context, q url.Values) (*Opened, error) {
	signed, err := uc.signer.Verify(FilePath, q)
	if err != nil {
		return nil, linkError()
	}
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil {
		return nil, linkError()
	}
	var o *Opened
	if v := q.Get(paramVersion); v != "" {
		// A kept older version (signed in with the id: never a share's).
		version, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || q.Get(paramShare) != "" {
			return nil, linkError()
		}
		o, err = uc.OpenVersion(ctx, signed.UserID, id, version)
	} else {
		o, err = uc.Open(ctx, signed.UserID, id)
	}
	if err != nil {
		return nil, err
	}
	o.Inline = q.Get("inline") == "1"
	o.Link = Link{UserID: signed.UserID, SignedAt: signed.SignedAt, Share: q.Get(paramShare), IDs: []int64{id}}
	return o, nil
}

// Open opens one of the owner's files (the gRPC download uses it directly).
func (uc *DownloadUsecase) Open(ctx context.Context, owner, id int64) (*Opened, error) {
	n, err := uc.liveFile(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	body, err := openBlob(ctx, uc.blobs, uc.store, n.ContentHash, n.Size)
	if errors.Is(err, ErrNotFound) {
		uc.log.WithContext(ctx).Errorw("msg", "a live node's blob is missing", "hash", n.ContentHash)
		return nil, errFileNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &Opened{Node: n, Body: body}, nil
}

// selection walks the owner's selection and checks the zip limits.
func (uc *DownloadUsecase) selection(ctx context.Context, owner int64, ids []int64) ([]WalkEntry, int64, error) {
	entries, truncated, err := uc.files.Walk(ctx, owner, ids, uc.policy.ZipMaxEntries)
	if err != nil {
		return nil, 0, err
	}
	if truncated {
		return nil, 0, v1.ErrorZipTooLarge("a zip holds at most %d entries", uc.policy.ZipMaxEntries)
	}
	var total int64
	for _, e := range entries {
		total += e.Node.Size
	}
	if total > uc.policy.ZipMaxBytes {
		return nil, 0, v1.ErrorZipTooLarge("a zip holds at most %d bytes; this selection has %d", uc.policy.ZipMaxBytes, total)
	}
	return entries, total, nil
}

// Zip is a checked selection, ready to stream.
type Zip struct {
	Name    string
	Entries []WalkEntry
	// Link is the signed URL's, to be checked before a byte is served.
	Link Link
	uc   *DownloadUsecase
}

// OpenZip checks a signed zip URL and walks the selection again. The
// caller checks z.Link (revocations, the share) before serving.
func (uc *DownloadUsecase) OpenZip(ctx context.Context, q url.Values) (*Zip, error) {
	signed, err := uc.signer.Verify(ZipPath, q)
	if err != nil {
		return nil, linkError()
	}
	uid := signed.UserID
	var ids []int64
	for _, s := range strings.Split(q.Get("ids"), ",") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, linkError()
		}
		ids = append(ids, id)
	}
	entries, _, err := uc.selection(ctx, uid, ids)
	if err != nil {
		return nil, err
	}
	name := q.Get("name")
	if name == "" {
		name = "download"
		if len(entries) > 0 && len(ids) == 1 {
			name = entries[0].Node.Name
		}
	}
	if !strings.HasSuffix(strings.ToLower(name), ".zip") {
		name += ".zip"
	}
	link := Link{UserID: uid, SignedAt: signed.SignedAt, Share: q.Get(paramShare), IDs: ids}
	return &Zip{Name: name, Entries: entries, Link: link, uc: uc}, nil
}

// WriteTo streams the zip: entries are stored (most files are compressed
// already), read from the backend one at a time, with no temporary file.
func (z *Zip) WriteTo(ctx context.Context, w io.Writer) error {
	zw := zip.NewWriter(w)
	used := map[string]bool{}
	for _, e := range z.Entries {
		name := uniqueEntry(cleanEntry(e.Path), used)
		h := &zip.FileHeader{Name: name, Method: zip.Store, Modified: e.Node.UpdatedAt}
		if e.Node.Folder {
			h.Name += "/"
			if _, err := zw.CreateHeader(h); err != nil {
				return err
			}
			continue
		}
		h.UncompressedSize64 = uint64(e.Node.Size)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		body, err := openBlob(ctx, z.uc.blobs, z.uc.store, e.Node.ContentHash, e.Node.Size)
		if err != nil {
			return err
		}
		_, err = io.Copy(fw, body)
		body.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// cleanEntry keeps an entry name inside the archive whatever it holds.
func cleanEntry(p string) string {
	p = strings.ReplaceAll(p, "\\", "_")
	p = path.Clean("/" + p)[1:]
	if p == "" {
		p = "_"
	}
	return p
}

// uniqueEntry gives two selected items with the same name distinct entries.
func uniqueEntry(name string, used map[string]bool) string {
	out := name
	for i := 1; used[strings.ToLower(out)]; i++ {
		dir, file := path.Split(name)
		ext := path.Ext(file)
		out = dir + strings.TrimSuffix(file, ext) + " (" + strconv.Itoa(i) + ")" + ext
	}
	used[strings.ToLower(out)] = true
	return out
}
