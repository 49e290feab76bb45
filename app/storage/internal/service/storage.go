package service

import (
	"context"
	"encoding/hex"
	"errors"
	"io"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
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
		ContentHash: req.GetContentHash(), Mime: req.GetMime(), Rename: rename(req.GetOnConflict())})
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
	n, err := s.uploads.Complete(ctx, uid, req.GetUploadId())
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
	u, err := s.downloads.FileURL(ctx, uid, id, false)
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

// UploadChunks takes chunks over a client stream. Messages of one chunk are
// consecutive and share its index; each chunk is piped into PutChunk as its
// messages arrive, so memory stays at one message.
func (s *StorageService) UploadChunks(stream v1.Storage_UploadChunksServer) error {
	ctx := stream.Context()
	uid, err := owner(ctx)
	if err != nil {
		return err
	}
	var (
		id      string
		cur     int64 = -1
		pw      *io.PipeWriter
		errc    chan error
		started bool
	)
	finish := func() error {
		if pw == nil {
			return nil
		}
		pw.Close()
		err := <-errc
		pw = nil
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if pw != nil {
				pw.CloseWithError(err)
				<-errc
			}
			return err
		}
		if !started {
			id, started = msg.GetUploadId(), true
		}
		if msg.GetIndex() != cur {
			if err := finish(); err != nil {
				return err
			}
			cur = msg.GetIndex()
			var pr *io.PipeReader
			pr, pw = io.Pipe()
			errc = make(chan error, 1)
			go func(index int64) {
				err := s.uploads.PutChunk(ctx, uid, id, index, pr, nil)
				pr.CloseWithError(err)
				errc <- err
			}(cur)
		}
		if _, err := pw.Write(msg.GetData()); err != nil {
			return <-errc
		}
	}
	if err := finish(); err != nil {
		return err
	}
	if !started {
		return v1.ErrorUploadNotFound("the stream named no upload")
	}
	sess, err := s.uploads.Status(ctx, uid, id)
	if err != nil {
		return err
	}
	return stream.SendAndClose(toSession(sess))
}

// downloadMessage is the size of one streamed message.
const downloadMessage = 256 << 10

// Download streams a file from an offset.
func (s *StorageService) Download(req *v1.DownloadRequest, stream v1.Storage_DownloadServer) error {
	if err := req.Validate(); err != nil {
		return err
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
	o, err := s.downloads.Open(ctx, uid, id)
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
