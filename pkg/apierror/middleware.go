package apierror

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"fmt"
	nethttp "net/http"
	"strconv"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/http"

	commonv1 "clouddrive/api/common/v1"
)

// Server is the outermost error middleware: anything that is not one of our
// reason errors is logged and replaced by INTERNAL, so no SQL or driver text
// reaches a client; then the message is localized.
func Server(logger log.Logger) middleware.Middleware {
	h := log.NewHelper(log.With(logger, "module", "apierror"))
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			reply, err := next(ctx, req)
			if err == nil {
				return reply, nil
			}
			lang := ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				lang = tr.RequestHeader().Get("Accept-Language")
			}
			return nil, withHTTPCode(ctx, Localize(Public(ctx, h, err), lang))
		}
	}
}

// Public turns err into the error a client may see.
func Public(ctx context.Context, h *log.Helper, err error) *errors.Error {
	var se *errors.Error
	if !stderrors.As(err, &se) || se.Reason == "" {
		if stderrors.Is(err, context.Canceled) {
			return errors.ClientClosed("CANCELED", "the request was canceled")
		}
		if o := outage(err); o != nil {
			h.WithContext(ctx).Warnw("msg", "dependency unavailable", "reason", o.Reason, "err", err)
			return o
		}
		h.WithContext(ctx).Errorw("msg", "internal error", "err", err)
		return commonv1.ErrorInternal("internal error")
	}
	if se.Reason == "CODEC" {
		// kratos's binding failed: the body or query is not what the RPC takes.
		return commonv1.ErrorMalformedRequest("malformed request: %s", se.Message).
			WithMetadata(map[string]string{"detail": se.Message})
	}
	return se
}

// HTTPErrorEncoder writes {code, reason, message, metadata} with the matching
// status. Errors raised before the middleware runs (body decoding) pass here too.
func HTTPErrorEncoder(logger log.Logger) http.EncodeErrorFunc {
	h := log.NewHelper(log.With(logger, "module", "apierror"))
	return func(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
		se := Localize(Public(r.Context(), h, err), r.Header.Get("Accept-Language"))
		WriteHTTP(w, se)
	}
}

// WriteHTTP writes one error as JSON; raw byte routes use it too.
func WriteHTTP(w nethttp.ResponseWriter, se *errors.Error) {
	md := se.Metadata
	if md == nil {
		md = map[string]string{}
	}
	body, err := json.Marshal(struct {
		Code     int32             `json:"code"`
		Reason   string            `json:"reason"`
		Message  string            `json:"message"`
		Metadata map[string]string `json:"metadata"`
	}{se.Code, se.Reason, se.Message, md})
	if err != nil {
		body = []byte(fmt.Sprintf(`{"code":500,"reason":"INTERNAL","message":%q}`, "internal error"))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(int(se.Code))
	_, _ = w.Write(body)
}

// httpCodeKey carries an error's HTTP status across gRPC, whose codes have
// no room for 410, 413 or 422: kratos would turn them into 500.
const httpCodeKey = "http_code"

// FromRemote is the error another service answered over gRPC, with its
// reason, metadata and HTTP status as that service made them.
func FromRemote(err error) error {
	if err == nil {
		return nil
	}
	se := errors.FromError(err)
	if c, ok := se.Metadata[httpCodeKey]; ok {
		md := make(map[string]string, len(se.Metadata))
		for k, v := range se.Metadata {
			if k != httpCodeKey {
				md[k] = v
			}
		}
		if code, perr := strconv.Atoi(c); perr == nil {
			se = errors.New(code, se.Reason, se.Message).WithMetadata(md)
		}
	}
	return se
}

// withHTTPCode records se's status for FromRemote on the other side of gRPC.
func withHTTPCode(ctx context.Context, se *errors.Error) *errors.Error {
	tr, ok := transport.FromServerContext(ctx)
	if !ok || tr.Kind() != transport.KindGRPC {
		return se
	}
	md := make(map[string]string, len(se.Metadata)+1)
	for k, v := range se.Metadata {
		md[k] = v
	}
	md[httpCodeKey] = strconv.Itoa(int(se.Code))
	return se.WithMetadata(md)
}
