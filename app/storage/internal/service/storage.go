package service

import (
	"context"
	"encoding/hex"
	"errors"
	"io"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/rpccodec"
)

// StorageService implements the Storage API.
type StorageService struct {
	v1.UnimplementedStorageServer
	uploads   *biz.UploadUsecase
	downloads *biz.DownloadUsecase
}

var _ v1.StorageHTTPServer = (*StorageService)(nil)

// NewStorageService builds the service.
func NewStorageService(uploads *biz.UploadUsecase, downloads *biz.DownloadUsecase) *StorageService {
	return &StorageService{uploads: uploads, downloads: downloads}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func rename(s string) bool { return s == "rename" }

// version: a file uploaded onto an existing file's name becomes a new
// version of it unless the caller said "fail" or "rename".
func version(s string) bool { return s == "" || s == "version" }

func (s *StorageService) InitUpload(ctx context.Context, req *v1.InitUploadRequest) (*v1.UploadSession, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	parent := int64(0)
	if req.GetParentId() != "" {
		var ok bool
		if parent, ok = parseID(req.GetParentId()); !ok {
			return nil, filev1.ErrorParentNotFound("the destination folder does not exist")
		}
	}
	sess, err := s.uploads.Init(ctx, biz.NewFile{Owner: uid, Parent: parent, Name: req.GetName(), Size: req.GetSize(),
		ContentHash: req.GetContentHash(), Mime: req.GetMime(), Rename: rename(req.GetOnConflict()),
		Version: version(req.GetOnConflict())})
	if err != nil {
		return nil, err
	}
	return toSession(sess), nil
}

func (s *StorageService) UploadStatus(ctx context.Context, req *v1.UploadStatusRequest) (*v1.UploadSession, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := s.uploads.Status(ctx, uid, req.GetUploadId())
	if err != nil {
		return nil, err
	}
	return toSession(sess), nil
}

func (s *StorageService) CompleteUpload(ctx context.Context, req *v1.CompleteUploadRequest) (*filev1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.uploads.CompleteChecked(ctx, uid, req.GetUploadId(), req.GetContentHash())
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *StorageService) AbortUpload(ctx context.Context, req *v1.AbortUploadRequest) (*v1.AbortUploadReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	return &v1.AbortUploadReply{}, s.uploads.Abort(ctx, uid, req.GetUploadId())
}

func (s *StorageService) ProveUpload(ctx context.Context, req *v1.ProveUploadRequest) (*filev1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.uploads.Prove(ctx, uid, req.GetUploadId(), req.GetProof())
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *StorageService) DownloadURL(ctx context.Context, req *v1.DownloadURLRequest) (*v1.SignedURL, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	id, ok := parseID(req.GetId())
	if !ok {
		return nil, v1.ErrorFileNotFound("no such file")
	}
	var u *biz.SignedURL
	if req.GetVersionId() != "" {
		version, ok := parseID(req.GetVersionId())
		if !ok {
			return nil, filev1.ErrorVersionNotFound("this file has no such version")
		}
		u, err = s.downloads.VersionURL(ctx, uid, id, version)
	} else {
		u, err = s.downloads.FileURL(ctx, uid, id, false)
	}
	if err != nil {
		return nil, err
	}
	return toSignedURL(u), nil
}

func (s *StorageService) ZipURL(ctx context.Context, req *v1.ZipURLRequest) (*v1.SignedURL, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	u, err := s.downloads.ZipURL(ctx, uid, ids, req.GetName())
	if err != nil {
		return nil, err
	}
	return toSignedURL(u), nil
}

// maxUploadID bounds the id a stream may name (ids are 32 hex digits).
const maxUploadID = 64

// A chunk message's bytes arrive in a reused buffer (the servers' codec),
// given back once PutChunk has them: an upload stream makes no garbage of
// its payload.
func init() {
	rpccodec.Pool((&v1.ChunkData{}).ProtoReflect().Descriptor().Fields().ByName("data"))
}

// UploadChunks takes chunks over a client stream. Messages of one chunk are
// consecutive and share its index; each chunk is piped into PutChunk as its
// messages arrive, so memory stays at one message. Every message is checked
// (its upload, its index, the chunk's length so far) before it moves a
// byte: the first names the caller's upload, later ones name no other.
func (s *StorageService) UploadChunks(stream v1.Storage_UploadChunksServer) error {
	ctx := stream.Context()
	uid, err := owner(ctx)
	if err != nil {
		return err
	}
	msg, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return v1.ErrorUploadNotFound("the stream named no upload")
	}
	if err != nil {
		return err
	}
	id := msg.GetUploadId()
	if id == "" || len(id) > maxUploadID {
		return v1.ErrorUploadNotFound("the stream's first message must name the upload")
	}
	sess, err := s.uploads.Status(ctx, uid, id) // the caller's upload, or UPLOAD_NOT_FOUND
	if err != nil {
		return err
	}
	layout := sess.Upload.Layout()
	var cur *chunkPipe
	// A stream that ends early (an error, a bad message) drops the chunk
	// it was sending: PutChunk sees the error and keeps nothing of it.
	defer func() { cur.abort(errStreamEnded) }()
	for {
		if other := msg.GetUploadId(); other != "" && other != id {
			return v1.ErrorBadChunk("a stream carries one upload: it began with %s", id)
		}
		index := msg.GetIndex()
		if index < 0 || index >= layout.Count() {
			return v1.ErrorBadChunk("chunk %d is outside this upload (0..%d)", index, layout.Count()-1)
		}
		if cur == nil || index != cur.index {
			if err := cur.finish(); err != nil {
				cur = nil
				return err
			}
			cur = s.startChunk(ctx, uid, id, index, layout.Len(index))
		}
		werr := cur.write(msg.GetData())
		rpccodec.Release(msg.GetData()) // the pipe has handed every byte over
		if werr != nil {
			return werr
		}
		msg, err = stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	err = cur.finish()
	cur = nil
	if err != nil {
		return err
	}
	if sess, err = s.uploads.Status(ctx, uid, id); err != nil {
		return err
	}
	return stream.SendAndClose(toSession(sess))
}

var errStreamEnded = errors.New("the stream ended before the chunk did")

// chunkPipe feeds one chunk's messages to PutChunk running beside it.
type chunkPipe struct {
	index     int64
	want, got int64
	pw        *io.PipeWriter
	errc      chan error
	done      bool
}

func (s *StorageService) startChunk(ctx context.Context, uid int64, id string, index, want int64) *chunkPipe {
	pr, pw := io.Pipe()
	c := &chunkPipe{index: index, want: want, pw: pw, errc: make(chan error, 1)}
	go func() {
		err := s.uploads.PutChunk(ctx, uid, id, index, pr, nil)
		pr.CloseWithError(err)
		c.errc <- err
	}()
	return c
}

// write refuses bytes past the chunk's length before they reach PutChunk.
func (c *chunkPipe) write(p []byte) error {
	if c.got+int64(len(p)) > c.want {
		return v1.ErrorBadChunk("chunk %d must be %d bytes, got more", c.index, c.want)
	}
	c.got += int64(len(p))
	if _, err := c.pw.Write(p); err != nil {
		if werr := c.wait(); werr != nil {
			return werr // PutChunk stopped reading: its answer
		}
		return err
	}
	return nil
}

// finish ends the chunk's bytes and returns PutChunk's answer.
func (c *chunkPipe) finish() error {
	if c == nil {
		return nil
	}
	c.pw.Close()
	return c.wait()
}

// abort drops the chunk (no-op once it is finished).
func (c *chunkPipe) abort(cause error) {
	if c == nil || c.done {
		return
	}
	c.pw.CloseWithError(cause)
	_ = c.wait()
}

func (c *chunkPipe) wait() error {
	if c.done {
		return nil
	}
	c.done = true
	return <-c.errc
}

// downloadMessage is the size of one streamed message.
const downloadMessage = 256 << 10

// Download streams a file from an offset.
func (s *StorageService) Download(req *v1.DownloadRequest, stream v1.Storage_DownloadServer) error {
	if err := req.Validate(); err != nil { // the stream chain validated it already
		return apierror.ValidationError(err)
	}
	ctx := stream.Context()
	uid, err := owner(ctx)
	if err != nil {
		return err
	}
	id, ok := parseID(req.GetId())
	if !ok {
		return v1.ErrorFileNotFound("no such file")
	}
	var o *biz.Opened
	if req.GetVersionId() != "" {
		version, ok := parseID(req.GetVersionId())
		if !ok {
			return filev1.ErrorVersionNotFound("this file has no such version")
		}
		o, err = s.downloads.OpenVersion(ctx, uid, id, version)
	} else {
		o, err = s.downloads.Open(ctx, uid, id)
	}
	if err != nil {
		return err
	}
	defer o.Body.Close()
	if req.GetOffset() > o.Node.Size {
		return v1.ErrorBadChunk("offset %d is past the end (%d bytes)", req.GetOffset(), o.Node.Size)
	}
	if _, err := o.Body.Seek(req.GetOffset(), io.SeekStart); err != nil {
		return err
	}
	left := o.Node.Size - req.GetOffset()
	if req.GetLength() > 0 && req.GetLength() < left {
		left = req.GetLength()
	}
	buf := make([]byte, min(int64(downloadMessage), max(left, 1)))
	first := &v1.DownloadData{Size: o.Node.Size, ContentHash: o.Node.ContentHash}
	for left > 0 {
		n, err := io.ReadFull(o.Body, buf[:min(int64(len(buf)), left)])
		if err != nil {
			return err
		}
		msg := &v1.DownloadData{Data: buf[:n]}
		if first != nil {
			first.Data, msg, first = buf[:n], first, nil
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
		left -= int64(n)
	}
	if first != nil { // an empty file or range: still say what it is
		return stream.Send(first)
	}
	return nil
}
