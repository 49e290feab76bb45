package skeleton

import (
	"strings"
	"sync/atomic"

	"github.com/go-kratos/kratos/v2/log"
)

// levelLogger drops records under a level that can change while running
// (log.level, watched).
type levelLogger struct {
	next  log.Logger
	level atomic.Int32
}

func newLevelLogger(next log.Logger, level string) *levelLogger {
	l := &levelLogger{next: next}
	l.Set(level)
	return l
}

// Set changes the level; an unknown name is info.
func (l *levelLogger) Set(level string) {
	l.level.Store(int32(log.ParseLevel(strings.ToUpper(level))))
}

func (l *levelLogger) Log(level log.Level, kv ...any) error {
	if level < log.Level(l.level.Load()) {
		return nil
	}
	return l.next.Log(level, kv...)
}
