package standalone_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// A scenario's result: one JSON line in CLOUDDRIVE_BENCH_OUT (the format
// tools/benchplot reads), the same figures as b.ReportMetric, and a log line.

type benchBaseline struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	// Ratio is the scenario's median over this one's (in the same unit):
	// the share of the baseline's rate reached, or how many times its
	// latency.
	Ratio float64 `json:"ratio,omitempty"`
}

type benchResult struct {
	Time     string `json:"time"`
	Target   string `json:"target"` // "standalone" or "cluster"
	Commit   string `json:"commit"`
	Machine  string `json:"machine"`
	Load     string `json:"load"` // load average (1, 5, 15 min) at the end
	Scenario string `json:"scenario"`
	Case     string `json:"case"`
	// Kind is "rate" (higher is better; the p99 is the slow tail) or
	// "latency" (ms, lower is better).
	Kind      string          `json:"kind"`
	Unit      string          `json:"unit"`
	N         int             `json:"n"` // samples: rounds, or calls
	Median    float64         `json:"median"`
	P99       float64         `json:"p99"`
	Baselines []benchBaseline `json:"baselines,omitempty"`
	// CPU is the server's CPU time per unit of work (CPUUnit).
	CPU     float64            `json:"server_cpu,omitempty"`
	CPUUnit string             `json:"server_cpu_unit,omitempty"`
	Extra   map[string]float64 `json:"extra,omitempty"`
	Note    string             `json:"note,omitempty"`
}

var benchOutMu sync.Mutex

// baseline makes a baseline from its samples.
func baseline(name, unit string, samples []float64, rate bool) benchBaseline {
	m, p := benchStats(samples, rate)
	return benchBaseline{Name: name, Unit: unit, N: len(samples), Median: m, P99: p}
}

// record completes r (its statistics from samples, the ratios), reports it
// on b and appends it to the results file.
func (e *benchEnv) record(b *testing.B, r benchResult, samples []float64) {
	b.Helper()
	rate := r.Kind == "rate"
	r.N = len(samples)
	r.Median, r.P99 = benchStats(samples, rate)
	r.Time, r.Target, r.Commit, r.Machine, r.Load = time.Now().UTC().Format(time.RFC3339), e.target, e.commit, e.machine, benchLoad()
	if n := e.refused.n.Swap(0); n > 0 {
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra["refused_429_retried"] = float64(n)
	}
	unit := benchSlug(r.Unit)
	b.ReportMetric(r.Median, unit)
	b.ReportMetric(r.P99, "p99_"+unit)
	var line strings.Builder
	fmt.Fprintf(&line, "%s / %s (%s): median %.4g %s, p99 %.4g (n=%d)", r.Scenario, r.Case, e.target, r.Median, r.Unit, r.P99, r.N)
	for i := range r.Baselines {
		bl := &r.Baselines[i]
		if bl.Unit == r.Unit && bl.Median > 0 {
			bl.Ratio = r.Median / bl.Median
		}
		b.ReportMetric(bl.Median, benchSlug(bl.Name)+"_"+benchSlug(bl.Unit))
		fmt.Fprintf(&line, "; %s %.4g %s", bl.Name, bl.Median, bl.Unit)
		if bl.Ratio > 0 {
			fmt.Fprintf(&line, " (ratio %.3g)", bl.Ratio)
		}
	}
	if r.CPUUnit != "" {
		b.ReportMetric(r.CPU, "server_cpu_"+benchSlug(r.CPUUnit))
		fmt.Fprintf(&line, "; server CPU %.3g %s", r.CPU, r.CPUUnit)
	}
	for k, v := range r.Extra {
		b.ReportMetric(v, benchSlug(k))
		fmt.Fprintf(&line, "; %s %.3g", k, v)
	}
	if r.Note != "" {
		fmt.Fprintf(&line, " [%s]", r.Note)
	}
	fmt.Fprintf(&line, "; load %s", r.Load)
	b.Log(line.String())
	if e.cfg.out == "" {
		return
	}
	raw, err := json.Marshal(r)
	if err != nil {
		b.Fatal(err)
	}
	benchOutMu.Lock()
	defer benchOutMu.Unlock()
	f, err := os.OpenFile(e.cfg.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	_, err = f.Write(append(raw, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
}

// benchSlug turns a name into a benchmark unit: no spaces.
func benchSlug(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == ',' || r == '(' || r == ')' || r == '+' || r == '=':
			return '_'
		}
		return r
	}, s)
}
