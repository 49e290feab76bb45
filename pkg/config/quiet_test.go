package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
)

// The notice kratos logs when a closed configuration's watchers stop is
// dropped; its real complaints pass.
func TestQuietWatcherStopsDropsOnlyTheNotice(t *testing.T) {
	var buf bytes.Buffer
	l := QuietWatcherStops(log.NewStdLogger(&buf))
	_ = l.Log(log.LevelInfo, log.DefaultMessageKey, "watcher's ctx cancel : context canceled")
	_ = l.Log(log.LevelInfo, log.DefaultMessageKey, "failed to watch next config: boom")
	if got := buf.String(); strings.Contains(got, stopNotice) || !strings.Contains(got, "failed to watch next config") {
		t.Fatalf("logged %q", got)
	}
}
