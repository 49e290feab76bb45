package telemetry

import (
	"io"
	"net/http"
	"strings"
)

// CountBytes wraps an HTTP handler: request bodies on upload routes count
// as upload bytes, response bodies on download routes as download bytes.
// Byte routes are raw (no kratos middleware), so they are counted here.
func CountBytes(service string, next http.Handler) http.Handler {
	up, down := UploadBytes.WithLabelValues(service), DownloadBytes.WithLabelValues(service)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/v1/upload/") && r.Method == http.MethodPut && r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, add: up.Add}
		}
		if r.Method == http.MethodGet && (strings.HasPrefix(p, "/v1/download/") || strings.HasPrefix(p, "/v1/zip/") || strings.HasPrefix(p, "/dav/")) {
			w = &countingWriter{ResponseWriter: w, add: down.Add}
		}
		next.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	add func(float64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.add(float64(n))
	return n, err
}

type countingWriter struct {
	http.ResponseWriter
	add func(float64)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.add(float64(n))
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
