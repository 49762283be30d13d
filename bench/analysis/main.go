// Command analysis measures the quality of the canary judges: it simulates
// many canary analyses with the real judges (internal/analysis) on generated
// traffic and reports how often each judge raises a false alarm when the
// canary is identical to its baseline (A/A), how often it catches a
// regression, and how long it takes to decide.
//
// Per run, two server groups (baseline and canary) each serve 50 requests/s
// of per-request traffic (Poisson arrivals, 1% 5xx, log-normal latency with
// a 20 ms median). Requests are counted per second the way the local front
// door counts them, read through the real front-door metric source
// (source.FrontDoor) or, for the threshold judge, as the front door's
// cumulative counters (analysis.Diff, analysis.Measure), and judged interval
// by interval the way the deploy stage does (extend, next interval, fail
// fast, marginal fails only on the last interval). Every judge of a run sees
// the same traffic.
//
// Targets (from the issue): A/A false alarms (fail or inconclusive) <= 1% over
// 1,000 runs; detection of +2 points of 5xx and of +20% p99 latency >= 99%.
//
//	go run ./bench/analysis [-runs 1000] [-seed 1] [-seeds 1,2,3] [-plans a,b] [-svg docs/benchmarks-analysis.svg]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	var (
		runs     = flag.Int("runs", 1000, "simulated analyses per scenario and judge")
		seed     = flag.Uint64("seed", 1, "random seed of the detailed table and the chart")
		seedList = flag.String("seeds", "", "comma-separated seeds: also print each seed's rates and their medians")
		only     = flag.String("plans", "", "comma-separated judge configurations to run (default: all but the extra ones)")
		scens    = flag.String("scenarios", "", "comma-separated scenarios to run (default: all), e.g. A/A")
		svg      = flag.String("svg", "", "write the chart (SVG) to this file")
		workers  = flag.Int("workers", runtime.GOMAXPROCS(0), "parallel simulations")
	)
	flag.Parse()
	if err := run(*runs, *seed, *seedList, *only, *scens, *svg, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "analysis benchmark:", err)
		os.Exit(1)
	}
}

func run(runs int, seed uint64, seedList, only, scens, svgPath string, workers int) error {
	ps, err := selectPlans(only)
	if err != nil {
		return err
	}
	seeds, err := parseSeeds(seedList)
	if err != nil {
		return err
	}
	ss, err := selectScenarios(scens)
	if err != nil {
		return err
	}
	began := time.Now()
	fmt.Printf("canary analysis quality: %d runs per scenario and judge, seed %d, %d workers\n", runs, seed, workers)
	fmt.Printf("traffic: baseline and canary each %d req/s (Poisson), baseline 5xx %.0f%%, latency log-normal median %.0f ms sigma %.2f (mean %.1f ms, p99 %.1f ms)\n\n",
		rate, 100*base.ErrorRate, 1000*base.Median, base.Sigma, 1000*base.mean(), 1000*base.p99())
	printLegend(ss, ps)
	res := simulateAll(ss, ps, runs, seed, workers)
	sums := summarize(ss, ps, res)
	printTable(sums)
	printCulprits(sums)
	if svgPath != "" {
		if err := os.WriteFile(svgPath, []byte(chart(sums, runs, seed)), 0o644); err != nil {
			return fmt.Errorf("writing the chart: %w", err)
		}
		fmt.Printf("\nchart written to %s\n", svgPath)
	}
	if len(seeds) > 0 {
		var all [][]summary
		for _, s := range seeds {
			if s == seed {
				all = append(all, sums)
				continue
			}
			all = append(all, summarize(ss, ps, simulateAll(ss, ps, runs, s, workers)))
		}
		printSeeds(seeds, all)
	}
	fmt.Printf("\nsimulated in %.1f s\n", time.Since(began).Seconds())
	return nil
}

// simulateAll runs every plan on every scenario runs times; res[s][p][r].
// Run r of scenario s has its own traffic, the same for every plan, drawn
// from seed, s and r only, so the output does not depend on scheduling.
func simulateAll(ss []scenario, ps []plan, runs int, seed uint64, workers int) [][][]result {
	res := make([][][]result, len(ss))
	for s := range ss {
		res[s] = make([][]result, len(ps))
		for p := range ps {
			res[s][p] = make([]result, runs)
		}
	}
	type job struct{ s, r int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	ctx := context.Background()
	for range max(workers, 1) {
		wg.Go(func() {
			for j := range jobs {
				id := uint64(ss[j.s].index)<<40 | uint64(j.r)<<2
				baseStream := newStream(base, seed, id)
				canStream := newStream(ss[j.s].Canary, seed, id|1)
				for p := range ps {
					res[j.s][p][j.r] = simulate(ctx, ps[p], baseStream, canStream)
				}
			}
		})
	}
	for s := range ss {
		for r := range runs {
			jobs <- job{s, r}
		}
	}
	close(jobs)
	wg.Wait()
	return res
}

func selectPlans(only string) ([]plan, error) {
	all := plans()
	if only == "" {
		var out []plan
		for _, p := range all {
			if !p.Extra {
				out = append(out, p)
			}
		}
		return out, nil
	}
	var out []plan
	for _, name := range strings.Split(only, ",") {
		found := false
		for _, p := range all {
			if p.Name == strings.TrimSpace(name) {
				out, found = append(out, p), true
			}
		}
		if !found {
			var names []string
			for _, p := range all {
				names = append(names, p.Name)
			}
			return nil, fmt.Errorf("-plans: %q is not a judge configuration: use one of %s", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// selectScenarios picks scenarios by name. A run's traffic depends on its
// scenario's place in the full list, so a selection sees the same traffic
// as a full run.
func selectScenarios(only string) ([]scenario, error) {
	all := scenarios()
	if only == "" {
		return slices.DeleteFunc(slices.Clone(all), func(s scenario) bool { return s.Extra }), nil
	}
	var out []scenario
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(all, func(s scenario) bool { return s.Name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("-scenarios: %q is not a scenario", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

func parseSeeds(list string) ([]uint64, error) {
	if list == "" {
		return nil, nil
	}
	var out []uint64
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("-seeds: %q is not a seed: use comma-separated non-negative integers, e.g. 1,2,3", f)
		}
		out = append(out, v)
	}
	return out, nil
}
