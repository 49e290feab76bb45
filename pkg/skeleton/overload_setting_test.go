package skeleton

import (
	"bytes"
	"io"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"clouddrive/pkg/config"
	"clouddrive/pkg/testkit"
)

// The adaptive limiter's setting comes from the configuration and changes
// live: the same process sheds under "capacity alone" (cpu_threshold -1, as
// on a saturated machine), admits everything once Nacos says disabled (as
// the local cluster on a shared host is configured), and keeps its setting
// when a change is out of range.
func TestOverloadSettingChangesLiveWithFakeNacos(t *testing.T) {
	nacos := testkit.NewFakeNacos(t)
	nacos.Publish("overloadtest.yaml", "DEFAULT_GROUP", "overload:\n  cpu_threshold: -1\n")
	t.Setenv("NACOS_ADDR", nacos.Addr())
	src, err := config.Open("overloadtest", []byte("log: {level: info}\noverload: {cpu_threshold: 0}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	p, err := New("overloadtest", src, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 40

	shed := newSaturated(t, "/test.Slow/Call", p.adaptive.Middleware())
	shed.call(n)
	early := shed.held(n)
	if len(early) < n-4 {
		t.Fatalf("cpu_threshold -1 from Nacos: %d of %d calls refused, want nearly all", len(early), n)
	}
	for _, c := range early {
		if c != nethttp.StatusTooManyRequests {
			t.Fatalf("a call came back with %d while the admitted ones were held", c)
		}
	}
	shed.release(t)

	nacos.Publish("overloadtest.yaml", "DEFAULT_GROUP", "overload:\n  disabled: true\n")
	for i := 0; p.adaptive.bbr.Load() != nil; i++ {
		if i == 500 {
			t.Fatal("overload.disabled from Nacos never applied")
		}
		time.Sleep(10 * time.Millisecond) // waiting for the watch, not timing it
	}
	open := newSaturated(t, "/test.Slow/Call", p.adaptive.Middleware())
	open.call(n)
	if early := open.held(n); len(early) != 0 {
		t.Fatalf("shedding disabled, yet %d calls came back while the others were held (first: %d)", len(early), early[0])
	}
	open.release(t)

	// Out of range: refused with the reason in the log, and the running
	// setting (disabled) stays.
	nacos.Publish("overloadtest.yaml", "DEFAULT_GROUP", "overload:\n  cpu_threshold: 5000\n")
	for i := 0; !strings.Contains(logs.String(), "overload setting refused"); i++ {
		if i == 500 {
			t.Fatal("an out-of-range cpu_threshold from Nacos was never reported")
		}
		time.Sleep(10 * time.Millisecond) // waiting for the watch, not timing it
	}
	if !strings.Contains(logs.String(), "overload.disabled") {
		t.Fatalf("the refusal does not say what to set instead: %s", logs.String())
	}
	if p.adaptive.bbr.Load() != nil {
		t.Fatal("a refused setting replaced the running one")
	}
}

// syncBuffer is a log the watcher writes while the test reads it.
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

// A threshold past 1000 per mille could never be reached: the process does
// not start with it, and says what to set instead.
func TestOverloadThresholdOutOfRangeIsRefused(t *testing.T) {
	src, err := config.Open("overloadbad", []byte("overload: {cpu_threshold: 1500}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = New("overloadbad", src, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "overload.disabled") {
		t.Fatalf("cpu_threshold 1500 at start: %v, want a refusal naming overload.disabled", err)
	}
}
