package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Result is one line of the results file the drive's benchmark scenarios
// write (app/standalone/bench_results_test.go, CLOUDDRIVE_BENCH_OUT).
type Result struct {
	Time      string             `json:"time"`
	Target    string             `json:"target"`
	Commit    string             `json:"commit"`
	Machine   string             `json:"machine"`
	Load      string             `json:"load"`
	Scenario  string             `json:"scenario"`
	Case      string             `json:"case"`
	Kind      string             `json:"kind"` // "rate" or "latency"
	Unit      string             `json:"unit"`
	N         int                `json:"n"`
	Median    float64            `json:"median"`
	P99       float64            `json:"p99"`
	Baselines []Baseline         `json:"baselines"`
	CPU       float64            `json:"server_cpu"`
	CPUUnit   string             `json:"server_cpu_unit"`
	Extra     map[string]float64 `json:"extra"`
	Note      string             `json:"note"`
}

// Baseline is a same-run baseline of a result.
type Baseline struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	Ratio  float64 `json:"ratio"`
}

func (r *Result) rate() bool { return r.Kind == "rate" }

// key names a figure: the same scenario, case and target measured again
// (a results file appended to by several runs) replaces the earlier one.
func (r *Result) key() string { return r.Target + "\x00" + r.Scenario + "\x00" + r.Case }

// readResults reads JSON lines from the files, keeping the last result of
// each key, in the order each (scenario, case) first appeared, standalone
// before cluster: the two targets of a figure end up side by side.
func readResults(paths []string) ([]*Result, error) {
	var all []*Result
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		line := 0
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			var r Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: %v", p, line, err)
			}
			if r.Kind != "rate" && r.Kind != "latency" {
				f.Close()
				return nil, fmt.Errorf("%s:%d: kind %q: want rate or latency", p, line, r.Kind)
			}
			all = append(all, &r)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
	}
	last := map[string]*Result{}
	for _, r := range all {
		last[r.key()] = r
	}
	var (
		order []string // scenario + case, by first appearance
		seen  = map[string]bool{}
	)
	for _, r := range all {
		k := r.Scenario + "\x00" + r.Case
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	var out []*Result
	for _, k := range order {
		for _, target := range targets(all) {
			if r, ok := last[target+"\x00"+k]; ok {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// targets are the targets present, standalone first.
func targets(rs []*Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, want := range []string{"standalone", "cluster"} {
		for _, r := range rs {
			if r.Target == want && !seen[want] {
				seen[want] = true
				out = append(out, want)
			}
		}
	}
	for _, r := range rs {
		if !seen[r.Target] {
			seen[r.Target] = true
			out = append(out, r.Target)
		}
	}
	return out
}

// section is the results drawn on one axis: the same kind and unit.
type section struct {
	title   string
	rate    bool
	unit    string
	results []*Result
}

// sections groups the results by kind and unit, rates first.
func sections(rs []*Result) []*section {
	var out []*section
	find := func(r *Result) *section {
		for _, s := range out {
			if s.rate == r.rate() && s.unit == r.Unit {
				return s
			}
		}
		s := &section{rate: r.rate(), unit: r.Unit}
		if s.rate {
			s.title = "Throughput, " + r.Unit + " (longer is better; bar: median, tick: p99 round)"
		} else {
			s.title = "Latency, " + r.Unit + ", log scale (shorter is better; bar: median, whisker to p99)"
		}
		out = append(out, s)
		return s
	}
	for _, r := range rs {
		s := find(r)
		s.results = append(s.results, r)
	}
	// Rates before latencies, keeping first appearance otherwise.
	var sorted []*section
	for _, rate := range []bool{true, false} {
		for _, s := range out {
			if s.rate == rate {
				sorted = append(sorted, s)
			}
		}
	}
	return sorted
}
