package biz

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"clouddrive/pkg/auth"
)

// FileVersion is a kept older content of a file (the file service's).
type FileVersion struct {
	ID          int64
	NodeID      int64
	ContentHash string
	Size        int64
	Mime        string
	ReplacedAt  time.Time
}

// FileVersions is the file service's kept versions. It is a capability of
// the FileService port that the real client has (data.FileClient), kept
// apart so that the port's many test doubles need not grow.
type FileVersions interface {
	// GetVersion is a kept version of a live file of owner.
	GetVersion(ctx context.Context, owner, node, version int64) (*FileVersion, error)
}

// paramVersion names the version a file URL downloads (signed with it).
const paramVersion = "v"

func (uc *DownloadUsecase) fileVersions() (FileVersions, error) {
	v, ok := uc.files.(FileVersions)
	if !ok {
		return nil, errors.New("this file service client cannot read versions")
	}
	return v, nil
}

// VersionURL signs a URL for a kept older version of one of the owner's
// files: the same route as the current content, with the version signed in.
func (uc *DownloadUsecase) VersionURL(ctx context.Context, owner, id, version int64) (*SignedURL, error) {
	if _, err := uc.OpenVersionNode(ctx, owner, id, version); err != nil {
		return nil, err
	}
	q := url.Values{"id": {strconv.FormatInt(id, 10)}, paramVersion: {strconv.FormatInt(version, 10)}}
	return &SignedURL{URL: uc.signer.Sign(FilePath, q, owner, uc.policy.URLTTL), ExpiresAt: uc.now().Add(min(uc.policy.URLTTL, auth.MaxURLTTL))}, nil
}

// OpenVersionNode is the live file id of owner as it was at version: its
// name, with the version's content, size and type.
func (uc *DownloadUsecase) OpenVersionNode(ctx context.Context, owner, id, version int64) (*FileNode, error) {
	fv, err := uc.fileVersions()
	if err != nil {
		return nil, err
	}
	n, err := uc.liveFile(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	v, err := fv.GetVersion(ctx, owner, id, version)
	if err != nil {
		return nil, err
	}
	out := *n
	out.ContentHash, out.Size, out.UpdatedAt = v.ContentHash, v.Size, v.ReplacedAt
	if v.Mime != "" {
		out.Mime = v.Mime
	}
	return &out, nil
}

// OpenVersion opens a kept older version of one of the owner's files.
func (uc *DownloadUsecase) OpenVersion(ctx context.Context, owner, id, version int64) (*Opened, error) {
	n, err := uc.OpenVersionNode(ctx, owner, id, version)
	if err != nil {
		return nil, err
	}
	body, err := openBlob(ctx, uc.blobs, uc.store, n.ContentHash, n.Size)
	if errors.Is(err, ErrNotFound) {
		uc.log.WithContext(ctx).Errorw("msg", "a kept version's blob is missing", "hash", n.ContentHash)
		return nil, errFileNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &Opened{Node: n, Body: body}, nil
}
