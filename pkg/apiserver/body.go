package apiserver

import (
	stderrors "errors"
	"fmt"
	"io"
	nethttp "net/http"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"clouddrive/pkg/apierror"
)

// ReasonBodyTooLarge is the reason of a 413: the body passed its route's limit.
const ReasonBodyTooLarge = "BODY_TOO_LARGE"

func init() {
	apierror.RegisterChinese(map[string]string{ReasonBodyTooLarge: "请求体过大"})
}

var (
	routesOnce sync.Once
	routes     map[string]string
)

// operationOfPath maps the path of every transcoded route (one google.api.http
// rule per RPC, no path variables: the gateway's rule) to its operation, so
// a call is known before kratos routes and decodes it.
func operationOfPath(path string) (string, bool) {
	routesOnce.Do(func() {
		routes = map[string]string{}
		protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
			for i := 0; i < fd.Services().Len(); i++ {
				s := fd.Services().Get(i)
				for j := 0; j < s.Methods().Len(); j++ {
					md := s.Methods().Get(j)
					rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
					if p := rulePath(rule); p != "" {
						routes[p] = "/" + string(s.FullName()) + "/" + string(md.Name())
					}
				}
			}
			return true
		})
	})
	op, ok := routes[path]
	return op, ok
}

func rulePath(r *annotations.HttpRule) string {
	if r == nil {
		return ""
	}
	for _, p := range []string{r.GetGet(), r.GetPost(), r.GetPut(), r.GetDelete(), r.GetPatch(), r.GetCustom().GetPath()} {
		if p != "" {
			return p
		}
	}
	return ""
}

// admitFirst is the filter in front of kratos's router: a transcoded call is
// admitted from its headers before anything reads its body (kratos decodes
// the body before its middleware runs), and the body is bounded while it is
// read. The auth middleware admits the call again, as it does over gRPC.
// Every response's writes also get a stall deadline.
func admitFirst(c Config, l Limits) http.FilterFunc {
	encode := apierror.HTTPErrorEncoder(c.Logger)
	return func(next nethttp.Handler) nethttp.Handler {
		return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			orig := w
			w = newStallWriter(w, l.Stall)
			if op, ok := operationOfPath(r.URL.Path); ok {
				if _, err := c.Auth.Admit(r.Context(), op, r.Header.Get); err != nil {
					// Not read, so the server closes the connection rather
					// than drain a body nobody may send.
					w.Header().Set("Connection", "close")
					encode(w, r, err)
					return
				}
				// The server's own writer: it learns to close the connection.
				r.Body = nethttp.MaxBytesReader(orig, r.Body, l.bodyLimit(op))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// decodeJSONBody reads every request body as JSON whatever its Content-Type,
// as APISIX's grpc-transcode does: `curl -d '{...}'` (sent as a form) works
// the same through the gateway and here. The body is bounded by admitFirst.
func decodeJSONBody(r *nethttp.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *nethttp.MaxBytesError
		if stderrors.As(err, &tooLarge) {
			return errors.New(nethttp.StatusRequestEntityTooLarge, ReasonBodyTooLarge,
				fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)).
				WithMetadata(map[string]string{"limit": fmt.Sprint(tooLarge.Limit)})
		}
		return errors.BadRequest("CODEC", err.Error())
	}
	return unmarshalJSON(r, data, v)
}

// stallWriter extends the connection's write deadline before each write:
// a response whose client stops reading is cut after stall, while a long
// download that keeps moving is never cut (a fixed WriteTimeout would).
type stallWriter struct {
	nethttp.ResponseWriter
	rc    *nethttp.ResponseController
	stall time.Duration
}

func newStallWriter(w nethttp.ResponseWriter, stall time.Duration) *stallWriter {
	s := &stallWriter{ResponseWriter: w, rc: nethttp.NewResponseController(w), stall: stall}
	s.extend()
	return s
}

func (s *stallWriter) extend() {
	// ErrNotSupported (a test recorder) leaves the write unbounded.
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.stall))
}

func (s *stallWriter) Write(p []byte) (int, error) {
	s.extend()
	return s.ResponseWriter.Write(p)
}

func (s *stallWriter) WriteHeader(code int) {
	s.extend()
	s.ResponseWriter.WriteHeader(code)
}

func (s *stallWriter) Flush() {
	s.extend()
	_ = s.rc.Flush()
}

// stallSegment is how much one sendfile may move under one deadline.
const stallSegment = 1 << 20

// ReadFrom keeps the server's sendfile path (http.ServeContent, io.Copy)
// but moves at most stallSegment per deadline. A LimitedReader (io.CopyN)
// is unwrapped so that the file under it still reaches sendfile.
func (s *stallWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := s.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{s}, r)
	}
	src, left := r, int64(-1)
	lr, limited := r.(*io.LimitedReader)
	if limited {
		src, left = lr.R, lr.N
		defer func() { lr.N = left }()
	}
	var total int64
	for left != 0 {
		seg := int64(stallSegment)
		if left > 0 {
			seg = min(seg, left)
		}
		s.extend()
		n, err := rf.ReadFrom(io.LimitReader(src, seg))
		total += n
		if left > 0 {
			left -= n
		}
		if err != nil || n < seg {
			return total, err
		}
	}
	return total, nil
}

// Unwrap lets http.ResponseController reach the connection.
func (s *stallWriter) Unwrap() nethttp.ResponseWriter { return s.ResponseWriter }
