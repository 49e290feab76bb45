package standalone_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The helper process: a trivial loopback HTTP server for the baselines, so
// that the client, the server under test and the baseline server are
// separate processes alike (this test binary run again).
//
//	PUT  /sink/...        reads the body into nothing (256 KiB buffer), 204
//	GET  /source?size=N   N bytes of a repeated 8 MiB PRNG buffer, with Range
//	*    /rt?size=N       reads the body, answers N bytes of JSON ({"ok":true}
//	                      without size): a round trip shaped like an API call
//
// It exits when its stdin closes (this process ended).

const benchHelperEnv = "CLOUDDRIVE_BENCH_HELPER"

func init() {
	if os.Getenv(benchHelperEnv) == "1" {
		os.Exit(benchHelperMain())
	}
}

type benchDiscard struct{} // an io.Writer without ReadFrom: copies use our buffer

func (benchDiscard) Write(p []byte) (int, error) { return len(p), nil }

var benchBufs = sync.Pool{New: func() any { b := make([]byte, benchCopyBuf); return &b }}

func benchHelperMain() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pattern := make([]byte, benchPiece)
	(&benchContent{seed: 42}).fill(pattern, 0)
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /sink/", func(w http.ResponseWriter, r *http.Request) {
		buf := benchBufs.Get().(*[]byte)
		defer benchBufs.Put(buf)
		if _, err := io.CopyBuffer(benchDiscard{}, r.Body, *buf); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /source", func(w http.ResponseWriter, r *http.Request) {
		size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
		if err != nil || size < 0 {
			http.Error(w, "size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, &benchRepeat{pattern: pattern, size: size})
	})
	mux.HandleFunc("/rt", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		if size < 12 {
			_, _ = w.Write([]byte(`{"ok":true}`))
			return
		}
		// A JSON string of size bytes in all: {"x":"aaa…"}.
		body := make([]byte, size)
		copy(body, `{"x":"`)
		for i := 6; i < size-2; i++ {
			body[i] = 'a'
		}
		copy(body[size-2:], `"}`)
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = w.Write(body)
	})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("addr=%s\n", ln.Addr())
	err = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// benchRepeat is size bytes of pattern repeated, seekable for ServeContent.
type benchRepeat struct {
	pattern   []byte
	size, off int64
}

func (r *benchRepeat) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	i := r.off % int64(len(r.pattern))
	n := int64(copy(p, r.pattern[i:]))
	n = min(n, r.size-r.off)
	r.off += n
	return int(n), nil
}

func (r *benchRepeat) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.off
	case io.SeekEnd:
		off += r.size
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	r.off = off
	return off, nil
}

// startHelper starts the helper process, bound to this one by its stdin.
func (e *benchEnv) startHelper() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchHelperEnv+"=1")
	logf, err := os.Create(filepath.Join(e.root, "helper.log"))
	if err != nil {
		return err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := startWithLifeline(cmd); err != nil {
		return err
	}
	if err := e.notePid(cmd.Process.Pid); err != nil {
		return err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr="); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		e.helper = "http://" + a
		return nil
	case <-time.After(20 * time.Second):
		return fmt.Errorf("the helper process did not start (see %s)", logf.Name())
	}
}

// rt is one loopback round trip shaped like an API call: method, a request
// body, an answer of answerSize bytes.
func (e *benchEnv) rt(method string, body []byte, answerSize int) error {
	req, err := http.NewRequest(method, e.helper+"/rt?size="+strconv.Itoa(answerSize), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /rt: %d", method, resp.StatusCode)
	}
	return nil
}
