package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{30_000_000, "28.6 MiB"}, {1 << 30, "1.0 GiB"}, {5 << 40, "5.0 TiB"},
	}
	for _, tc := range tests {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := Rate(0); got != "-- B/s" {
		t.Errorf("Rate(0) = %q", got)
	}
	if got := Rate(2 << 20); got != "2.0 MiB/s" {
		t.Errorf("Rate = %q", got)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "0.3s"}, {time.Second, "0:01"}, {75 * time.Second, "1:15"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"},
	}
	for _, tc := range tests {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		name        string
		width       int
		label       string
		done, total int64
		speed       float64
		want        []string
	}{
		{"half", 80, "put /a.bin", 50 << 20, 100 << 20, 10 << 20, []string{"put /a.bin", " 50.0%", "10.0 MiB/s", "ETA 0:05", "[", "]"}},
		{"no speed yet", 80, "get /a", 0, 100, 0, []string{"  0.0%", "-- B/s", "ETA --:--"}},
		{"done", 80, "get /a", 100, 100, 1, []string{"100.0%", "ETA 0.0s"}},
		{"empty file", 80, "get /a", 0, 0, 0, []string{"100.0%"}},
		{"long name is cut", 60, "put /" + strings.Repeat("x", 100) + "/tail.bin", 1, 2, 1, []string{"…", "tail.bin", "50.0%"}},
		{"narrow: no bar", 40, "put /a", 1, 2, 1, []string{"50.0%"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Line(tc.width, tc.label, "", tc.done, tc.total, tc.speed)
			if n := utf8.RuneCountInString(got); n > tc.width-1 {
				t.Errorf("%d columns, over %d: %q", n, tc.width-1, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
	if got := Line(80, "x", "sending", 1, 2, 0); !strings.Contains(got, "sending") {
		t.Errorf("no phase: %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the drawing goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPlain(t *testing.T) {
	var out, errb syncBuffer
	r := New(&out, &errb, false)
	task := r.Start("put", "/big.bin", 100<<20)
	task.Phase(Hashing, 0)
	for i := 0; i < 100; i++ {
		task.Add(1 << 20)
	}
	if errb.String() != "" {
		t.Errorf("hashing reported: %q", errb.String())
	}
	task.Phase("sending", 30<<20) // 30% was there already
	for i := 0; i < 70; i++ {
		task.Add(1 << 20)
	}
	task.Done("resumed")
	steps := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(steps) != 6 || !strings.Contains(steps[0], "sending 40%") || !strings.Contains(steps[5], "sending 90%") {
		t.Errorf("steps: %q", steps)
	}
	if strings.Contains(errb.String(), "\r") {
		t.Error("plain output has carriage returns")
	}
	if o := out.String(); !strings.HasPrefix(o, "put /big.bin  100.0 MiB  ") || !strings.HasSuffix(o, "(resumed)\n") {
		t.Errorf("final line: %q", o)
	}

	// Small files get the final line only.
	out.b.Reset()
	errb.b.Reset()
	small := r.Start("get", "/s", 1000)
	small.Add(1000)
	small.Done("")
	if errb.String() != "" || !strings.HasPrefix(out.String(), "get /s  1000 B") {
		t.Errorf("small file: out %q err %q", out.String(), errb.String())
	}
}

func TestTerminal(t *testing.T) {
	var out, errb syncBuffer
	r := New(&out, &errb, true)
	r.Width = func() int { return 100 }
	task := r.Start("get", "/big.bin", 100<<20)
	task.Add(40 << 20)
	time.Sleep(Interval + 100*time.Millisecond)
	task.Add(20 << 20)
	time.Sleep(Interval + 100*time.Millisecond)
	r.Warnf("a warning\n")
	time.Sleep(Interval + 100*time.Millisecond) // drawn again below it
	task.Done("")
	e := errb.String()
	for _, want := range []string{"\rget /big.bin", "60.0%", "/s ETA ", "\x1b[K", "a warning\n"} {
		if !strings.Contains(e, want) {
			t.Errorf("terminal output lacks %q: %q", want, e)
		}
	}
	if !strings.HasPrefix(out.String(), "get /big.bin  100.0 MiB") {
		t.Errorf("final line: %q", out.String())
	}
	// The bar is cleared before the final line.
	if !strings.HasSuffix(e, "\r\x1b[K") {
		t.Errorf("the bar was not cleared: %q", e[max(0, len(e)-40):])
	}

	failed := r.Start("put", "/x", 10)
	failed.Fail()
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("a failed task printed a final line: %q", out.String())
	}
}
