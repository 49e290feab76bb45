// Package progress reports transfers: on a terminal a single line with a
// bar, percent, speed and ETA redrawn about five times a second; otherwise
// plain lines, one per file when it ends and one per 10% for big files.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BigFile is the size from which plain output reports every 10%.
const BigFile = 16 << 20

// Interval is how often the terminal line is redrawn.
const Interval = 200 * time.Millisecond

// Hashing is the phase of reading a file to hash it; plain output reports
// no steps of it (the transfer's steps are what matter in a log).
const Hashing = "hashing"

// speedWindow is how far back the terminal speed looks.
const speedWindow = 3 * time.Second

// Reporter writes the progress of one command's transfers. Final lines go to
// out, the bar and intermediate lines to err (a terminal when TTY is set).
type Reporter struct {
	out, err io.Writer
	tty      bool
	// Width returns the terminal's width; 80 is used when it returns 0.
	Width func() int
	// Now is the clock (tests replace it).
	Now func() time.Time

	mu     sync.Mutex // serialises writes
	drawn  bool       // a bar is on the terminal line
	active *Task
}

// New returns a reporter; tty says whether err is a terminal.
func New(out, err io.Writer, tty bool) *Reporter {
	return &Reporter{out: out, err: err, tty: tty, Now: time.Now}
}

// Printf writes a line to out, clearing the bar first.
func (r *Reporter) Printf(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
	fmt.Fprintf(r.out, format, a...)
}

// Warnf writes a line to err, clearing the bar first.
func (r *Reporter) Warnf(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
	fmt.Fprintf(r.err, format, a...)
}

func (r *Reporter) clearLocked() {
	if r.drawn {
		fmt.Fprint(r.err, "\r\x1b[K")
		r.drawn = false
	}
}

// Task is one file's transfer.
type Task struct {
	r     *Reporter
	verb  string // "put", "get"
	name  string
	total int64

	done    atomic.Int64
	phase   atomic.Value // string
	base    atomic.Int64 // bytes done before this run (skipped)
	started atomic.Int64 // unix nanos of the phase start
	lastPct atomic.Int64 // plain mode: the last 10% step printed

	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	// speed samples (terminal mode), touched by the drawing goroutine only
	samples []sample
}

type sample struct {
	at   time.Time
	done int64
}

// Start begins reporting a transfer of total bytes.
func (r *Reporter) Start(verb, name string, total int64) *Task {
	t := &Task{r: r, verb: verb, name: name, total: total, stop: make(chan struct{}), stopped: make(chan struct{})}
	t.phase.Store("")
	t.started.Store(r.Now().UnixNano())
	r.mu.Lock()
	r.active = t
	r.mu.Unlock()
	if r.tty {
		go t.loop()
	} else {
		close(t.stopped)
	}
	return t
}

// Phase starts a phase ("hashing", "sending") with done bytes already done
// before it (resumed chunks): they count in the percentage, not the speed.
func (t *Task) Phase(name string, done int64) {
	t.phase.Store(name)
	t.done.Store(done)
	t.base.Store(done)
	t.lastPct.Store(done * 10 / max(t.total, 1))
	t.started.Store(t.r.Now().UnixNano())
}

// Add counts n more bytes done (negative to take back a failed try).
func (t *Task) Add(n int64) {
	d := t.done.Add(n)
	if t.r.tty || t.total < BigFile || t.phase.Load().(string) == Hashing {
		return
	}
	step := d * 10 / t.total
	for {
		last := t.lastPct.Load()
		if step <= last || step >= 10 {
			return
		}
		if t.lastPct.CompareAndSwap(last, step) {
			t.r.Warnf("%s %s: %s%d%% (%s of %s)\n", t.verb, t.name, phasePrefix(t.phase.Load().(string)), step*10,
				Bytes(d), Bytes(t.total))
			return
		}
	}
}

func phasePrefix(p string) string {
	if p == "" {
		return ""
	}
	return p + " "
}

// Done ends the task with its final line on out: the note ("instant",
// "resumed 3/4 chunks") follows the size, time and speed.
func (t *Task) Done(note string) {
	t.end()
	elapsed := t.r.Now().Sub(time.Unix(0, t.started.Load()))
	moved := t.done.Load() - t.base.Load()
	line := fmt.Sprintf("%s %s  %s  %s", t.verb, t.name, Bytes(t.total), Duration(elapsed))
	if moved > 0 && elapsed > 0 {
		line += "  " + Rate(float64(moved)/elapsed.Seconds())
	}
	if note != "" {
		line += "  (" + note + ")"
	}
	t.r.Printf("%s\n", line)
}

// Fail ends the task without a final line (the caller reports the error).
func (t *Task) Fail() {
	t.end()
	t.r.mu.Lock()
	t.r.clearLocked()
	t.r.mu.Unlock()
}

func (t *Task) end() {
	t.once.Do(func() { close(t.stop) })
	<-t.stopped
	t.r.mu.Lock()
	if t.r.active == t {
		t.r.active = nil
	}
	t.r.mu.Unlock()
}

func (t *Task) loop() {
	defer close(t.stopped)
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	t.draw()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.draw()
		}
	}
}

func (t *Task) draw() {
	now := t.r.Now()
	done := t.done.Load()
	t.samples = append(t.samples, sample{now, done})
	for len(t.samples) > 2 && now.Sub(t.samples[0].at) > speedWindow {
		t.samples = t.samples[1:]
	}
	var speed float64
	if first := t.samples[0]; now.After(first.at) && done >= first.done && len(t.samples) > 1 {
		speed = float64(done-first.done) / now.Sub(first.at).Seconds()
	}
	width := 80
	if t.r.Width != nil {
		if w := t.r.Width(); w > 0 {
			width = w
		}
	}
	line := Line(width, t.verb+" "+t.name, t.phase.Load().(string), done, t.total, speed)
	t.r.mu.Lock()
	fmt.Fprint(t.r.err, "\r"+line+"\x1b[K")
	t.r.drawn = true
	t.r.mu.Unlock()
}

// Line renders the terminal line in at most width-1 columns:
// "name  phase  45% [=====>     ] 12.3 MiB/s ETA 0:12".
func Line(width int, name, phase string, done, total int64, speed float64) string {
	pct := 100.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	pct = min(max(pct, 0), 100)
	eta := "--:--"
	if speed > 0 && total >= done {
		eta = Duration(time.Duration(float64(total-done) / speed * float64(time.Second)))
	}
	stats := fmt.Sprintf(" %5.1f%% %s ETA %s", pct, Rate(speed), eta)
	if phase != "" {
		stats = " " + phase + stats
	}
	room := width - 1 - len([]rune(stats))
	barW := min(30, room/3)
	bar := ""
	if barW >= 8 {
		filled := int(float64(barW-2) * pct / 100)
		b := strings.Repeat("=", filled)
		if filled < barW-2 {
			b += ">" + strings.Repeat(" ", barW-3-filled)
		}
		bar = " [" + b + "]"
		room -= len(bar)
	}
	label := []rune(name)
	if room < 4 {
		return strings.TrimSpace(stats)
	}
	if len(label) > room {
		label = append([]rune("…"), label[len(label)-room+1:]...)
	}
	return string(label) + strings.Repeat(" ", room-len(label)) + bar + stats
}

// Bytes formats a size in binary units ("12.3 MiB").
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Rate formats a speed in bytes per second.
func Rate(bps float64) string {
	if bps <= 0 {
		return "-- B/s"
	}
	return Bytes(int64(bps)) + "/s"
}

// Duration formats as m:ss or h:mm:ss (and "0.3s" under a second).
func Duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
