package main

// The report, in Markdown (docs/BENCHMARKS.md and the soak's report take it
// as it is).

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(p * float64(len(d)-1))
	return d[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// meanRSS is the mean RSS of the samples in [from, to).
func meanRSS(s []rssAt, from, to time.Duration) int64 {
	var sum, n int64
	for _, x := range s {
		if x.at >= from && x.at < to {
			sum += x.rss
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

func report(o *options, t *target, st *stats, elapsed time.Duration, before, after map[string]sample,
	rss map[string][]rssAt, fl *faultLog, check []string) string {
	var b strings.Builder
	what := "the standalone binary"
	if o.cluster != "" {
		what = "the cluster (through its gateway)"
	}
	kind := "Load"
	if o.faults {
		kind = "Soak"
	}
	fmt.Fprintf(&b, "### %s: %d users, %v, against %s\n\n", kind, o.users, elapsed.Round(time.Second), what)
	fmt.Fprintf(&b, "%s, %d CPUs, %s. Mix (weights): list 30, small upload (4 KiB–1 MiB, one request) 20, download 20, "+
		"share 10, open share 15, large upload of %s 5 (at most %d at once).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, mib(o.bigSize), o.bigAtOnce)

	b.WriteString("| operation | done | per second | p50 | p99 | errors | without a reason |\n|---|---:|---:|---:|---:|---:|---:|\n")
	ops := []string{opList, opSmall, opBig, opDownload, opShare, opOpen}
	totalOK, totalErr := 0, 0
	for _, op := range ops {
		d := st.lat[op]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		totalOK += len(d)
		totalErr += st.errs[op]
		fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %s | %d | %d |\n", op, len(d), float64(len(d))/elapsed.Seconds(),
			ms(percentile(d, 0.50)), ms(percentile(d, 0.99)), st.errs[op], st.unclear[op])
	}
	fmt.Fprintf(&b, "| **all** | %d | %.1f | | | %d | |\n\n", totalOK, float64(totalOK)/elapsed.Seconds(), totalErr)
	for _, op := range ops {
		for _, s := range st.samples[op] {
			fmt.Fprintf(&b, "- error (%s): %s\n", op, s)
		}
	}
	for _, s := range st.unclearSamples {
		fmt.Fprintf(&b, "- error without a reason: %s\n", s)
	}

	w := o.window
	fmt.Fprintf(&b, "\nServer processes: RSS (mean over the first and the last %v of the mix), goroutines and open file descriptors "+
		"before the mix and 5 s after it.\n\n", w)
	b.WriteString("| process | RSS first | RSS last | goroutines before → after | fds before → after |\n|---|---:|---:|---:|---:|\n")
	for _, p := range t.procs {
		first := meanRSS(rss[p.name], 0, w)
		last := meanRSS(rss[p.name], elapsed-w, elapsed+time.Second)
		g := "n/a"
		if before[p.name].goroutines >= 0 && after[p.name].goroutines >= 0 {
			g = fmt.Sprintf("%d → %d", before[p.name].goroutines, after[p.name].goroutines)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d → %d |\n", p.name, mib(first), mib(last), g, before[p.name].fds, after[p.name].fds)
	}
	b.WriteString("\nOpen descriptors by kind 5 s after the mix, and what changed since before it:\n\n")
	for _, p := range t.procs {
		fmt.Fprintf(&b, "- %s: %s (changed: %s)\n", p.name, kindsList(after[p.name].kinds),
			kindsDiff(before[p.name].kinds, after[p.name].kinds))
	}
	if fl != nil {
		b.WriteString("\nFaults injected (each undone before the next):\n\n| at | fault | errors while it lasted | of them without a reason |\n|---|---|---:|---:|\n")
		for _, f := range fl.entries {
			fmt.Fprintf(&b, "| %v | %s | %d | %d |\n", f.at.Round(time.Second), f.what, f.errs, f.unclear)
		}
		b.WriteString("\nAfter the soak, every user's files checked (acknowledged uploads present and whole, nothing partial, quota = sum of live files): ")
		if len(check) == 0 {
			b.WriteString("all correct.\n")
		} else {
			fmt.Fprintf(&b, "%d problem(s):\n\n", len(check))
			for i, c := range check {
				if i == 50 {
					fmt.Fprintf(&b, "- ... and %d more\n", len(check)-50)
					break
				}
				fmt.Fprintf(&b, "- %s\n", c)
			}
		}
	}
	return b.String()
}
