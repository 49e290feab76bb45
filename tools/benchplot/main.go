// Command benchplot draws and tabulates the results of the drive's benchmark
// scenarios (the JSON lines app/standalone's benchmarks append to
// CLOUDDRIVE_BENCH_OUT): an SVG plot of throughput and latency, each figure
// beside its same-run baselines, and a Markdown table of the same figures.
// Results of the standalone binary and of the cluster (and of several runs
// appended to one file: the last of each figure wins) are drawn side by
// side.
//
//	benchplot -svg results/bench.svg -md results/bench.md results/bench.jsonl [more.jsonl...]
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	svgPath := flag.String("svg", "", "write the plot (SVG) to this file")
	mdPath := flag.String("md", "", "write the table (Markdown) to this file")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchplot [-svg FILE] [-md FILE] RESULTS.jsonl...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || (*svgPath == "" && *mdPath == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *svgPath, *mdPath); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func run(inputs []string, svgPath, mdPath string) error {
	rs, err := readResults(inputs)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results in %v", inputs)
	}
	if svgPath != "" {
		if err := os.WriteFile(svgPath, []byte(render(rs)), 0o644); err != nil {
			return err
		}
	}
	if mdPath != "" {
		if err := os.WriteFile(mdPath, []byte(markdown(rs)), 0o644); err != nil {
			return err
		}
	}
	return nil
}
