package main

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `{"time":"2026-12-06T10:00:00Z","target":"standalone","commit":"abc123","load":"1.20 1.00 0.90","scenario":"upload 1 GiB","case":"1 in flight","kind":"rate","unit":"MB/s","n":5,"median":400,"p99":350,"baselines":[{"name":"loopback sink, same requests","unit":"MB/s","n":5,"median":1600,"p99":1500,"ratio":0.25}],"server_cpu":1.6,"server_cpu_unit":"s/GiB"}
{"time":"2026-12-06T10:01:00Z","target":"cluster","commit":"abc123","load":"3.00 1.00 0.90","scenario":"upload 1 GiB","case":"1 in flight","kind":"rate","unit":"MB/s","n":5,"median":200,"p99":150,"baselines":[{"name":"loopback sink, same requests","unit":"MB/s","n":5,"median":1500,"p99":1400,"ratio":0.133}],"server_cpu":2.5,"server_cpu_unit":"s/GiB"}
{"time":"2026-12-06T10:02:00Z","target":"standalone","commit":"abc123","load":"1.10 1.00 0.90","scenario":"list a folder of 1000 files","case":"pages of 500","kind":"latency","unit":"ms","n":200,"median":3.5,"p99":7.25,"baselines":[{"name":"loopback GET, same answer size","unit":"ms","n":200,"median":0.2,"p99":0.4,"ratio":17.5}],"server_cpu":3,"server_cpu_unit":"ms/op"}
{"time":"2026-12-06T10:03:00Z","target":"standalone","commit":"abc123","machine":"2 cores (Xeon with SHA-NI), 24 GiB, data on ext2/ext3, Linux 6.1, go1.26.8","load":"1.00 1.00 0.90","scenario":"upload 1 GiB","case":"1 in flight","kind":"rate","unit":"MB/s","n":5,"median":450,"p99":420,"baselines":[{"name":"loopback sink, same requests","unit":"MB/s","n":5,"median":1500,"p99":1400,"ratio":0.3}],"server_cpu":1.5,"server_cpu_unit":"s/GiB"}
`

func writeSample(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(p, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A figure measured again replaces the earlier one, and the two targets of
// a figure come side by side, standalone first.
func TestReadResultsLastWinsTargetsSideBySide(t *testing.T) {
	rs, err := readResults([]string{writeSample(t)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Target+" "+r.Scenario+" "+num(r.Median))
	}
	want := []string{"standalone upload 1 GiB 450", "cluster upload 1 GiB 200", "standalone list a folder of 1000 files 3.50"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("results %q, want %q", got, want)
	}
}

func TestReadResultsRefusesAnUnknownKind(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(p, []byte(`{"scenario":"x","kind":"speed"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readResults([]string{p}); err == nil || !strings.Contains(err.Error(), `kind "speed"`) {
		t.Fatalf("err %v, want the kind named", err)
	}
}

// The plot is well-formed XML with each figure, its baseline and ratio, and
// the table carries the same.
func TestPlotAndTable(t *testing.T) {
	dir := t.TempDir()
	svg, md := filepath.Join(dir, "b.svg"), filepath.Join(dir, "b.md")
	if err := run([]string{writeSample(t)}, svg, md); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(raw)))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the SVG is not well-formed: %v", err)
		}
	}
	for _, want := range []string{"450 MB/s, p99 420 · CPU 1.50 s/GiB", "loopback sink, same requests: 1,500 MB/s · ratio 0.30",
		"200 MB/s, p99 150 · CPU 2.50 s/GiB", "3.50 ms, p99 7.25", "17.5×", "standalone and cluster", "load average (1 min) 1.00–3.00",
		"machine: 2 cores (Xeon with SHA-NI), 24 GiB, data on ext2/ext3"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	table, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| upload 1 GiB | 1 in flight | standalone | 450 MB/s | 420 | 5 | loopback sink, same requests: 1,500 MB/s · ratio 0.30 | 1.50 s/GiB |",
		"| list a folder of 1000 files | pages of 500 | standalone | 3.50 ms | 7.25 | 200 |"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}
