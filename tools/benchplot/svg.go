package main

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The plot: one panel per section (rates in MB/s, rates in files/s,
// latencies in ms), one row per result with its median bar, its p99 and
// its same-run baselines as thinner grey bars on the same axis; numbers,
// ratios and the server's CPU in a column on the right. Plain SVG, no
// script, no external font.

const (
	width    = 1360
	margin   = 20
	labelW   = 340
	plotX0   = margin + labelW
	plotW    = 560
	noteX    = plotX0 + plotW + 14
	mainH    = 14
	baseH    = 8
	baseGap  = 3
	rowPad   = 14
	fontFace = "DejaVu Sans, Helvetica, Arial, sans-serif"
)

var (
	targetColor = map[string]string{"standalone": "#2563eb", "cluster": "#ea580c"}
	otherColor  = "#7c3aed" // a target of another name
	ownColor    = "#4b5563" // a result that is itself a baseline (dd, SHA-256)
	baseColors  = []string{"#9ca3af", "#cbd5e1", "#e2e8f0"}
)

// axis maps values of a section to x.
type axis struct {
	log    bool
	lo, hi float64
}

func newAxis(s *section) axis {
	var vals []float64
	for _, r := range s.results {
		vals = append(vals, r.Median, r.P99)
		for _, b := range r.Baselines {
			if b.Unit == r.Unit {
				vals = append(vals, b.Median)
			}
		}
	}
	lo, hi := math.Inf(1), 0.0
	for _, v := range vals {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == 0 {
		return axis{lo: 0, hi: 1, log: !s.rate}
	}
	if s.rate {
		step := niceStep(hi / 5)
		return axis{lo: 0, hi: math.Ceil(hi/step) * step}
	}
	return axis{log: true, lo: math.Pow(10, math.Floor(math.Log10(lo))), hi: math.Pow(10, math.Ceil(math.Log10(hi)+1e-9))}
}

// niceStep is 1, 2 or 5 times a power of ten, at least x.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (a axis) x(v float64) float64 {
	if a.log {
		v = math.Max(v, a.lo)
		return plotX0 + (math.Log10(v)-math.Log10(a.lo))/(math.Log10(a.hi)-math.Log10(a.lo))*plotW
	}
	return plotX0 + math.Max(v, 0)/a.hi*plotW
}

func (a axis) ticks() []float64 {
	var out []float64
	if a.log {
		steps := []float64{1, 2, 5}
		if math.Log10(a.hi/a.lo) > 3 {
			steps = []float64{1, 3} // wide: the labels would run into each other
		}
		for d := a.lo; d <= a.hi*1.0001; d *= 10 {
			for _, m := range steps {
				if v := d * m; v <= a.hi*1.0001 {
					out = append(out, v)
				}
			}
		}
		return out
	}
	step := niceStep(a.hi / 5)
	for v := 0.0; v <= a.hi*1.0001; v += step {
		out = append(out, v)
	}
	return out
}

// num prints a figure with three significant digits at most, thousands
// separated.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// tick prints an axis value as short as it goes: 0.2, 5, 1,000.
func tick(v float64) string {
	if v >= 1000 {
		return num(v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func ratio(b Baseline, rate bool) string {
	if b.Ratio <= 0 {
		return ""
	}
	if rate {
		return fmt.Sprintf(" · ratio %.2f", b.Ratio)
	}
	return fmt.Sprintf(" · %.1f×", b.Ratio)
}

func colorOf(r *Result) string {
	if r.Scenario == "baseline" {
		return ownColor
	}
	if c, ok := targetColor[r.Target]; ok {
		return c
	}
	return otherColor
}

type svgWriter struct{ b strings.Builder }

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

func (w *svgWriter) text(x, y float64, size int, anchor, color, weight, s string) {
	w.f(`<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s" font-weight="%s">%s</text>`+"\n",
		x, y, size, anchor, color, weight, html.EscapeString(s))
}

func (w *svgWriter) rect(x, y, wd, h float64, fill, title string) {
	w.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
		x, y, math.Max(wd, 1), h, fill, html.EscapeString(title))
}

func (w *svgWriter) line(x1, y1, x2, y2 float64, stroke string, sw float64) {
	w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"/>`+"\n", x1, y1, x2, y2, stroke, sw)
}

func rowHeight(r *Result) float64 {
	return mainH + float64(len(r.Baselines))*(baseH+baseGap) + rowPad + 6
}

// render draws the results as an SVG document.
func render(rs []*Result) string {
	secs := sections(rs)
	// Height first: a header, then each section's title, axis and rows.
	h := 110.0
	for _, s := range secs {
		h += 52
		for _, r := range s.results {
			h += rowHeight(r)
		}
		h += 24
	}
	var w svgWriter
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="%s">`+"\n",
		width, h, width, h, fontFace)
	w.f(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	w.text(margin, 30, 18, "start", "#111827", "bold", "clouddrive benchmarks: each figure beside its same-run baseline")
	w.text(margin, 50, 12, "start", "#374151", "normal", header(rs))
	w.text(margin, 66, 12, "start", "#374151", "normal", "machine: "+machines(rs))
	// Legend.
	lx := float64(margin)
	for _, t := range targets(rs) {
		c := targetColor[t]
		if c == "" {
			c = otherColor
		}
		w.rect(lx, 76, 14, 10, c, t)
		w.text(lx+18, 85, 12, "start", "#111827", "normal", t)
		lx += 30 + 7*float64(len(t))
	}
	w.rect(lx, 76, 14, 10, ownColor, "")
	w.text(lx+18, 85, 12, "start", "#111827", "normal", "the machine alone (dd, SHA-256)")
	lx += 230
	w.rect(lx, 78, 14, 6, baseColors[0], "")
	w.text(lx+18, 85, 12, "start", "#111827", "normal", "same-run baselines (loopback, disk), ratio = figure ÷ baseline")

	y := 110.0
	for _, s := range secs {
		a := newAxis(s)
		y += 22
		w.text(margin, y, 14, "start", "#111827", "bold", s.title)
		y += 24
		top := y - 8
		var bottom float64
		rowsY := y
		for _, r := range s.results {
			rowsY += rowHeight(r)
		}
		bottom = rowsY - rowPad + 4
		for _, t := range a.ticks() {
			x := a.x(t)
			w.line(x, top, x, bottom, "#e5e7eb", 1)
			w.text(x, top-3, 10, "middle", "#6b7280", "normal", tick(t))
		}
		w.line(plotX0, top, plotX0, bottom, "#9ca3af", 1)
		for _, r := range s.results {
			w.row(a, s, r, y)
			y += rowHeight(r)
		}
		y += 24
	}
	w.f("</svg>\n")
	return w.b.String()
}

func (w *svgWriter) row(a axis, s *section, r *Result, y float64) {
	c := colorOf(r)
	w.text(plotX0-8, y+11, 12, "end", "#111827", "bold", r.Scenario)
	sub := r.Case + " · " + r.Target
	w.text(plotX0-8, y+25, 11, "end", "#4b5563", "normal", sub)
	title := fmt.Sprintf("%s / %s (%s): median %s %s, p99 %s, n=%d", r.Scenario, r.Case, r.Target, num(r.Median), r.Unit, num(r.P99), r.N)
	w.rect(plotX0, y, a.x(r.Median)-plotX0, mainH, c, title)
	// The p99: for a rate the slow tail, below the median; for a latency
	// the tail above it.
	px := a.x(r.P99)
	if s.rate {
		w.line(px, y-2, px, y+mainH+2, "#111827", 2)
	} else {
		mx := a.x(r.Median)
		w.line(mx, y+mainH/2, px, y+mainH/2, "#111827", 1.5)
		w.line(px, y+2, px, y+mainH-2, "#111827", 1.5)
	}
	note := fmt.Sprintf("%s %s, p99 %s", num(r.Median), r.Unit, num(r.P99))
	if r.CPUUnit != "" {
		note += fmt.Sprintf(" · CPU %s %s", num(r.CPU), r.CPUUnit)
	}
	if r.Note != "" {
		note += " · " + r.Note
	}
	w.text(noteX, y+11, 11, "start", "#111827", "normal", note)
	by := y + mainH + baseGap
	for i, b := range r.Baselines {
		bc := baseColors[min(i, len(baseColors)-1)]
		if b.Unit == r.Unit {
			w.rect(plotX0, by, a.x(b.Median)-plotX0, baseH, bc, fmt.Sprintf("%s: median %s %s, p99 %s", b.Name, num(b.Median), b.Unit, num(b.P99)))
		}
		w.text(noteX, by+baseH, 10, "start", "#4b5563", "normal", fmt.Sprintf("%s: %s %s%s", b.Name, num(b.Median), b.Unit, ratio(b, s.rate)))
		by += baseH + baseGap
	}
}

// header says what was measured: targets, code, when, the load.
func header(rs []*Result) string {
	var commits, loads []string
	seen := map[string]bool{}
	first, last := "", ""
	for _, r := range rs {
		if !seen["c"+r.Commit] {
			seen["c"+r.Commit] = true
			commits = append(commits, r.Commit)
		}
		if r.Load != "" {
			loads = append(loads, strings.Fields(r.Load)[0])
		}
		if first == "" || r.Time < first {
			first = r.Time
		}
		if r.Time > last {
			last = r.Time
		}
	}
	sort.Strings(commits)
	lo, hi := "", ""
	if len(loads) > 0 {
		sort.Slice(loads, func(i, j int) bool { return atof(loads[i]) < atof(loads[j]) })
		lo, hi = loads[0], loads[len(loads)-1]
	}
	return fmt.Sprintf("%s · code %s · %s to %s UTC · load average (1 min) %s–%s while measured",
		strings.Join(targets(rs), " and "), strings.Join(commits, ", "), shortTime(first), shortTime(last), lo, hi)
}

// machines are the machines measured, as the results describe them.
func machines(rs []*Result) string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Machine != "" && !seen[r.Machine] {
			seen[r.Machine] = true
			out = append(out, r.Machine)
		}
	}
	return strings.Join(out, "; ")
}

func atof(s string) float64 {
	var f float64
	_, _ = fmt.Sscanf(s, "%g", &f)
	return f
}

func shortTime(t string) string {
	t = strings.TrimSuffix(t, "Z")
	return strings.Replace(t, "T", " ", 1)
}
