package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/internal/analysis"
)

// Targets from the issue.
const (
	maxFalseAlarms = 0.01 // A/A: share of runs that do not pass
	minDetection   = 0.99 // regressions: share of runs that do not pass
)

// summary is one scenario × judge configuration.
type summary struct {
	Scenario   string
	Plan       string
	Regression bool
	Runs       int
	Pass       int
	Fail       int
	Inconc     int
	// Time to verdict in simulated seconds, over all runs and over the runs
	// that did not pass.
	TTVMedian, TTVP90 float64
	StopMedian        float64 // NaN when every run passed
	Culprits          map[string]int
	// Masked counts runs in which a critical metric passed an interval on a
	// significant test because the interval's low end was exactly 0.
	Masked map[string]int
}

// Stopped is the share of runs that did not pass: false alarms in A/A,
// detections for a regression.
func (s summary) Stopped() float64 { return float64(s.Fail+s.Inconc) / float64(s.Runs) }

// Met reports whether the scenario's target is met.
func (s summary) Met() bool {
	if s.Regression {
		return s.Stopped() >= minDetection
	}
	return s.Stopped() <= maxFalseAlarms
}

func summarize(ss []scenario, ps []plan, res [][][]result) []summary {
	var out []summary
	for si, sc := range ss {
		for pi, p := range ps {
			rs := res[si][pi]
			s := summary{Scenario: sc.Name, Plan: p.Name, Regression: sc.Regression, Runs: len(rs), Culprits: map[string]int{}, Masked: map[string]int{}}
			var all, stopped []float64
			for _, r := range rs {
				all = append(all, float64(r.Seconds))
				for _, m := range r.Masked {
					s.Masked[m]++
				}
				switch r.Outcome {
				case analysis.OutcomePass:
					s.Pass++
					continue
				case analysis.OutcomeFail:
					s.Fail++
				default:
					s.Inconc++
				}
				stopped = append(stopped, float64(r.Seconds))
				for _, c := range r.Culprits {
					s.Culprits[c]++
				}
			}
			s.TTVMedian, s.TTVP90 = quantile(all, 0.5), quantile(all, 0.9)
			s.StopMedian = quantile(stopped, 0.5)
			out = append(out, s)
		}
	}
	return out
}

// quantile is the nearest-rank q-quantile; NaN for no values.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

func pct(n, of int) string { return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of)) }

func secs(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0fs", v)
}

func printLegend(ss []scenario, ps []plan) {
	fmt.Println("scenarios (canary against the baseline):")
	for _, s := range ss {
		fmt.Printf("  %-16s %s\n", s.Name, s.Note)
	}
	fmt.Println("judge configurations:")
	for _, p := range ps {
		fmt.Printf("  %-16s %s\n", p.Name, p.Note)
	}
	fmt.Println()
}

func printTable(sums []summary) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tjudge\truns\tpass\tfail\tinconclusive\talarm/detect\ttarget\tttv median\tttv p90\tstop median\t")
	for _, s := range sums {
		target, verdict := "<= 1%", "missed"
		if s.Regression {
			target = ">= 99%"
		}
		if s.Met() {
			verdict = "met"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t\n", s.Scenario, s.Plan, s.Runs,
			pct(s.Pass, s.Runs), pct(s.Fail, s.Runs), pct(s.Inconc, s.Runs), pct(s.Fail+s.Inconc, s.Runs),
			target, verdict, secs(s.TTVMedian), secs(s.TTVP90), secs(s.StopMedian))
	}
	w.Flush()
}

// printCulprits says, per scenario and judge, what stopped the runs that
// did not pass (a run can name several metrics), and in how many runs a
// significant test passed on an interval bound of exactly 0.
func printCulprits(sums []summary) {
	fmt.Println("\nwhat stopped the runs that did not pass (runs per metric or check):")
	for _, s := range sums {
		printCounts(s, s.Culprits)
	}
	fmt.Println("\nruns where a critical metric passed an interval although p < 1 - confidence level and the")
	fmt.Println("shift is up, because the interval's low end was exactly 0 (ties at 0):")
	for _, s := range sums {
		printCounts(s, s.Masked)
	}
}

func printCounts(s summary, counts map[string]int) {
	if len(counts) == 0 {
		return
	}
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, counts[n]))
	}
	fmt.Printf("  %-16s %-18s %s\n", s.Scenario, s.Plan, strings.Join(parts, ", "))
}

// printSeeds prints the alarm or detection rate of every seed and their median.
func printSeeds(seeds []uint64, all [][]summary) {
	fmt.Println("\nalarm/detect rate per seed (A/A: false alarms; regressions: detections):")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "scenario\tjudge\t"
	for _, s := range seeds {
		head += fmt.Sprintf("seed %d\t", s)
	}
	fmt.Fprintln(w, head+"median\tttv median (median)\t")
	for i, s := range all[0] {
		line := s.Scenario + "\t" + s.Plan + "\t"
		var rates, ttvs []float64
		for _, sums := range all {
			rates = append(rates, sums[i].Stopped())
			ttvs = append(ttvs, sums[i].TTVMedian)
			line += fmt.Sprintf("%.1f%%\t", 100*sums[i].Stopped())
		}
		fmt.Fprintf(w, "%s%.1f%%\t%s\t\n", line, 100*harness.Median(rates), secs(harness.Median(ttvs)))
	}
	w.Flush()
}

// median is the middle value (the mean of the two middle ones for an even count).
