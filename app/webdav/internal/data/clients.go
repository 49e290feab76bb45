package data

import (
	"context"
	"errors"
	"io"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/webdav/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/rpccodec"
)

// Dial connects to a service's gRPC endpoint (plain gRPC inside the
// cluster network; TLS ends at the gateway).
func Dial(endpoint string) (*grpc.ClientConn, error) {
	return grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// as signs a call as the user: their access token, as any client sends it.
func as(ctx context.Context, u *biz.User) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+u.Token)
}

// errOf maps the services' reasons onto biz's errors; the others keep
// their reason (apierror.FromRemote).
func errOf(err error) error {
	if err == nil {
		return nil
	}
	err = apierror.FromRemote(err)
	switch {
	case commonv1.IsUnauthenticated(err), commonv1.IsTokenRevoked(err):
		// The app password was revoked (or the account disabled) since
		// the sign-in was remembered.
		return errors.Join(biz.ErrBadCredentials, err)
	case kerrors.FromError(err).Code == 429, kerrors.FromError(err).Code == 503:
		return errors.Join(biz.ErrBusy, err)
	case filev1.IsNameConflict(err):
		return errors.Join(biz.ErrExists, err)
	case filev1.IsNodeNotFound(err), filev1.IsParentNotFound(err), storagev1.IsFileNotFound(err):
		return errors.Join(biz.ErrNotFound, err)
	case filev1.IsNotAFolder(err):
		return errors.Join(biz.ErrNotFolder, err)
	case filev1.IsQuotaExceeded(err), storagev1.IsFileTooLarge(err):
		return errors.Join(biz.ErrTooLarge, err)
	case filev1.IsInvalidName(err):
		return errors.Join(&biz.BadName{Why: "the file service refused it"}, err)
	}
	return err
}

func toNode(n *filev1.Node) *biz.Node {
	return &biz.Node{ID: apimsg.IDOf(n.GetId()), ParentID: apimsg.IDOf(n.GetParentId()), Name: n.GetName(),
		Folder: n.GetKind() == "folder", Size: n.GetSize(), ContentHash: n.GetContentHash(), Mime: n.GetMime(),
		CreatedAt: apimsg.ParseTime(n.GetCreatedAt()), UpdatedAt: apimsg.ParseTime(n.GetUpdatedAt())}
}

func conflict(rename bool) string {
	if rename {
		return "rename"
	}
	return "fail"
}

// AccountClient signs users in through the user service's internal API.
type AccountClient struct {
	c userv1.UserInternalClient
	auth.InternalClient
}

var _ biz.Accounts = (*AccountClient)(nil)

// NewAccountClient wraps a UserInternal client; secret is the internal secret.
func NewAccountClient(c userv1.UserInternalClient, secret string) *AccountClient {
	return &AccountClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

// SignIn implements biz.Accounts.
func (a *AccountClient) SignIn(ctx context.Context, username, password string) (*biz.User, error) {
	ctx = a.Sign(ctx)
	out, err := a.c.AppPasswordToken(ctx, &userv1.AppPasswordTokenRequest{Username: username, Password: password})
	if err != nil {
		err = apierror.FromRemote(err)
		if userv1.IsInvalidCredentials(err) || userv1.IsUserDisabled(err) || kerrors.FromError(err).Code == 400 {
			return nil, biz.ErrBadCredentials
		}
		return nil, err
	}
	// Stop using the token a minute before it expires: a long request
	// started with it still finishes.
	ttl := time.Duration(out.GetExpiresIn())*time.Second - time.Minute
	if ttl <= 0 {
		ttl = time.Duration(out.GetExpiresIn()) * time.Second / 2
	}
	return &biz.User{ID: apimsg.IDOf(out.GetUser().GetId()), Username: out.GetUser().GetUsername(),
		Token: out.GetAccessToken(), Until: time.Now().Add(ttl)}, nil
}

// FileClient calls the file service's public API as the user.
type FileClient struct{ c filev1.FileClient }

var _ biz.Files = (*FileClient)(nil)

// NewFileClient wraps a File client.
func NewFileClient(c filev1.FileClient) *FileClient { return &FileClient{c: c} }

// List implements biz.Files.
func (f *FileClient) List(ctx context.Context, u *biz.User, parent int64, token string) ([]*biz.Node, string, error) {
	out, err := f.c.List(as(ctx, u), &filev1.ListRequest{ParentId: apimsg.FormatID(parent), PageSize: 1000, PageToken: token})
	if err != nil {
		return nil, "", errOf(err)
	}
	items := make([]*biz.Node, len(out.GetItems()))
	for i, n := range out.GetItems() {
		items[i] = toNode(n)
	}
	return items, out.GetNextPageToken(), nil
}

// Mkdir implements biz.Files.
func (f *FileClient) Mkdir(ctx context.Context, u *biz.User, parent int64, name string) (*biz.Node, error) {
	out, err := f.c.Mkdir(as(ctx, u), &filev1.MkdirRequest{ParentId: apimsg.FormatID(parent), Name: name, OnConflict: "fail"})
	if err != nil {
		return nil, errOf(err)
	}
	return toNode(out), nil
}

// Rename implements biz.Files.
func (f *FileClient) Rename(ctx context.Context, u *biz.User, nodeID int64, name string, rename bool) (*biz.Node, error) {
	out, err := f.c.Rename(as(ctx, u), &filev1.RenameRequest{Id: apimsg.FormatID(nodeID), Name: name, OnConflict: conflict(rename)})
	if err != nil {
		return nil, errOf(err)
	}
	return toNode(out), nil
}

func one(out *filev1.NodesReply, err error) (*biz.Node, error) {
	if err != nil {
		return nil, errOf(err)
	}
	if len(out.GetItems()) != 1 {
		return nil, errors.New("webdav: the file service answered with no node")
	}
	return toNode(out.GetItems()[0]), nil
}

// Move implements biz.Files.
func (f *FileClient) Move(ctx context.Context, u *biz.User, nodeID, parent int64, rename bool) (*biz.Node, error) {
	return one(f.c.Move(as(ctx, u), &filev1.MoveRequest{Ids: []string{apimsg.FormatID(nodeID)}, ParentId: apimsg.FormatID(parent), OnConflict: conflict(rename)}))
}

// Copy implements biz.Files.
func (f *FileClient) Copy(ctx context.Context, u *biz.User, nodeID, parent int64, rename bool) (*biz.Node, error) {
	return one(f.c.Copy(as(ctx, u), &filev1.CopyRequest{Ids: []string{apimsg.FormatID(nodeID)}, ParentId: apimsg.FormatID(parent), OnConflict: conflict(rename)}))
}

// Trash implements biz.Files.
func (f *FileClient) Trash(ctx context.Context, u *biz.User, nodeID int64) error {
	_, err := f.c.Delete(as(ctx, u), &filev1.DeleteRequest{Ids: []string{apimsg.FormatID(nodeID)}})
	return errOf(err)
}

// Usage implements biz.Files.
func (f *FileClient) Usage(ctx context.Context, u *biz.User) (*biz.Usage, error) {
	out, err := f.c.Usage(as(ctx, u), &filev1.UsageRequest{})
	if err != nil {
		return nil, errOf(err)
	}
	return &biz.Usage{Used: out.GetUsedBytes(), Limit: out.GetLimitBytes()}, nil
}

// messageSize is the payload of one UploadChunks message: small enough
// that the whole message (with the first one's upload id and any index)
// fits grpc-go's 32 KiB pooled buffer. Anything larger, up to 1 MiB, is
// marshalled into a 1 MiB buffer, several of them in flight: with 1 MiB
// messages a PUT raised the process's peak RSS by 24 MiB (when both ends
// of the stream are one process, as in the standalone binary), with these
// by 12 to 16 MiB, for no more CPU.
const messageSize = 32<<10 - 128

// BlobClient calls the storage service's public API as the user: the
// upload protocol and ranged downloads, over gRPC streams.
type BlobClient struct{ c storagev1.StorageClient }

var _ biz.Blobs = (*BlobClient)(nil)

// NewBlobClient wraps a Storage client.
func NewBlobClient(c storagev1.StorageClient) *BlobClient { return &BlobClient{c: c} }

// Upload implements biz.Blobs: init with the content hash, the chunks the
// server lacks (read from the body one message at a time), complete.
func (b *BlobClient) Upload(ctx context.Context, u *biz.User, f *biz.NewFile) (*biz.Node, error) {
	ctx = as(ctx, u)
	size := f.Body.Size()
	sess, err := b.c.InitUpload(ctx, &storagev1.InitUploadRequest{ParentId: apimsg.FormatID(f.Parent), Name: f.Name, Size: size,
		ContentHash: f.Body.Hash(), OnConflict: conflict(f.RenameOnConflict), Mime: f.Mime})
	if err != nil {
		return nil, errOf(err)
	}
	held := map[int64]bool{}
	for _, i := range sess.GetUploadedChunks() {
		held[i] = true
	}
	cs := sess.GetChunkSize()
	if sess.GetChunkCount() > int64(len(held)) {
		if cs <= 0 {
			return nil, errors.New("webdav: the storage service sent no chunk size")
		}
		stream, err := b.c.UploadChunks(ctx)
		if err != nil {
			return nil, errOf(err)
		}
		buf := make([]byte, messageSize)
		first := true
		for i := int64(0); i < sess.GetChunkCount(); i++ {
			if held[i] {
				continue
			}
			end := min((i+1)*cs, size)
			for off := i * cs; off < end; {
				n := min(int64(len(buf)), end-off)
				if _, err := f.Body.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
					_ = stream.CloseSend()
					return nil, err
				}
				msg := &storagev1.ChunkData{Index: i, Data: buf[:n]}
				if first {
					msg.UploadId, first = sess.GetUploadId(), false
				}
				if err := stream.Send(msg); err != nil {
					_, err = stream.CloseAndRecv()
					return nil, errOf(err)
				}
				off += n
			}
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			return nil, errOf(err)
		}
	}
	out, err := b.c.CompleteUpload(ctx, &storagev1.CompleteUploadRequest{UploadId: sess.GetUploadId()})
	if err != nil {
		return nil, errOf(err)
	}
	return toNode(out), nil
}

// Open implements biz.Blobs: one Download stream from offset to the end,
// read a message at a time (the stream's flow-control window bounds what
// is in flight); closing it cancels the stream.
func (b *BlobClient) Open(ctx context.Context, u *biz.User, n *biz.Node, offset int64) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(as(ctx, u))
	stream, err := b.c.Download(ctx, &storagev1.DownloadRequest{Id: apimsg.FormatID(n.ID), Offset: offset},
		grpc.ForceCodecV2(pooledCodec))
	if err != nil {
		cancel()
		return nil, errOf(err)
	}
	return &downloadReader{stream: stream, cancel: cancel, left: n.Size - offset, hash: n.ContentHash}, nil
}

// A download's messages arrive in reused buffers, given back as soon as
// Read has copied them out: without it each 256 KiB message was a fresh
// copy, and a GET raised the process's peak RSS by 17 to 27 MiB.
var pooledCodec = rpccodec.New()

func init() {
	rpccodec.Pool((&storagev1.DownloadData{}).ProtoReflect().Descriptor().Fields().ByName("data"))
}

type downloadReader struct {
	stream storagev1.Storage_DownloadClient
	cancel context.CancelFunc
	msg    []byte // the current message's data, released once read
	buf    []byte // what is left of it
	left   int64
	hash   string
	first  bool
}

func (d *downloadReader) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		rpccodec.Release(d.msg)
		d.msg = nil
		if d.left <= 0 {
			return 0, io.EOF
		}
		msg, err := d.stream.Recv()
		if errors.Is(err, io.EOF) {
			return 0, io.ErrUnexpectedEOF
		}
		if err != nil {
			return 0, errOf(err)
		}
		if !d.first {
			d.first = true
			if h := msg.GetContentHash(); h != "" && d.hash != "" && h != d.hash {
				// Replaced meanwhile: never splice two contents.
				return 0, errors.New("webdav: the file changed during the download")
			}
		}
		d.msg, d.buf = msg.GetData(), msg.GetData()
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	d.left -= int64(n)
	return n, nil
}

func (d *downloadReader) Close() error {
	rpccodec.Release(d.msg)
	d.msg, d.buf = nil, nil
	d.cancel()
	return nil
}
