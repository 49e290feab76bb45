package config

import (
	"fmt"
	"strings"

	"github.com/go-kratos/kratos/v2/log"
)

// stopNotice is what kratos's config logs, once per source, when a
// configuration read once is closed: its watchers stop as they should.
const stopNotice = "watcher's ctx cancel"

// QuietWatcherStops drops kratos's notice that a configuration watcher
// stopped after Close. It is routine (every service reads its configuration
// once and closes it), yet a newcomer reading the start-up log took the
// five lines for a failure. Every other line passes.
func QuietWatcherStops(l log.Logger) log.Logger {
	return log.NewFilter(l, log.FilterFunc(func(_ log.Level, keyvals ...any) bool {
		for i := 0; i+1 < len(keyvals); i += 2 {
			if keyvals[i] == log.DefaultMessageKey && strings.HasPrefix(fmt.Sprint(keyvals[i+1]), stopNotice) {
				return true
			}
		}
		return false
	}))
}
