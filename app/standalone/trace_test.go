package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"clouddrive/app/standalone"
	"clouddrive/pkg/contenthash"
	"clouddrive/pkg/testkit"
)

// One upload is one trace: the storage call that completes it, the file
// service's internal call it makes over gRPC, their database statements,
// and notify's consumer of the file event, joined through the outbox and
// the bus (in-memory exporter; the standalone drive in this process).
func TestOneUploadIsOneTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)

	httpAddr, grpcAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- standalone.Run(ctx, standalone.Options{DataDir: t.TempDir(), HTTPAddr: httpAddr, GRPCAddr: grpcAddr,
			Logger: log.NewStdLogger(io.Discard)})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + httpAddr
	// Both listeners up: services call each other on the gRPC one.
	for i := 0; ; i++ {
		if conn, err := net.Dial("tcp", grpcAddr); err == nil {
			conn.Close()
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				break
			}
		}
		if i == 500 {
			t.Fatal("the drive did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	call := func(method, path, token string, body []byte, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil && len(b) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	call("POST", "/v1/user/register", "", js(map[string]string{"username": "tracer", "password": "Trace-me-1234", "email": "t@example.com"}), nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	call("POST", "/v1/user/login", "", js(map[string]string{"username": "tracer", "password": "Trace-me-1234"}), &tok)
	data := []byte(strings.Repeat("one trace per upload\n", 100))
	var up struct {
		UploadID string `json:"upload_id"`
	}
	call("POST", "/v1/upload/init", tok.AccessToken, js(map[string]any{"name": "t.txt", "size": len(data),
		"content_hash": contenthash.HashBytes(data)}), &up)
	call("PUT", "/v1/upload/"+up.UploadID+"/0", tok.AccessToken, data, nil)
	call("POST", "/v1/upload/complete", tok.AccessToken, js(map[string]string{"upload_id": up.UploadID}), nil)

	var root trace.TraceID
	for _, s := range rec.Ended() {
		if s.Name() == "/clouddrive.storage.v1.Storage/CompleteUpload" {
			root = s.SpanContext().TraceID()
		}
	}
	if !root.IsValid() {
		t.Fatal("no span of storage's CompleteUpload")
	}
	// notify consumes the event after the relay's next run: wait for it.
	var file, db, notify bool
	for i := 0; i < 500 && !(file && db && notify); i++ {
		file, db, notify = false, false, false
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID() != root {
				continue
			}
			switch {
			case strings.HasPrefix(s.Name(), "/clouddrive.file.v1.FileInternal/") && s.SpanKind() == trace.SpanKindServer:
				file = true
			case strings.HasPrefix(s.Name(), "db."):
				db = true
			case s.Name() == "consume file.events" && hasAttr(s, "messaging.consumer.group.name", "notify"):
				notify = true
			}
		}
		if !(file && db && notify) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !file || !db || !notify {
		var names []string
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID() == root {
				names = append(names, s.Name())
			}
		}
		t.Fatalf("the upload's trace lacks spans (file %v, database %v, notify %v): %v", file, db, notify, names)
	}
}

func hasAttr(s sdktrace.ReadOnlySpan, key, value string) bool {
	for _, a := range s.Attributes() {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}
