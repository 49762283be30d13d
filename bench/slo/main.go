// Command slo measures the SLO evaluator at scale: -apps applications with
// the `slo:` shorthand (availability and latency: two SLOs each, 1,000 at
// the default 500) on front-door minutes, evaluated every 30 s, with
// GOMAXPROCS 2. It prints the CPU and wall time of one evaluation round
// (the first, which loads the history, and the steady ones), the
// process's RSS, and how long after a burn starts (errors from one
// instant on) its alert fires.
//
// Time is simulated so the run is short: the clock steps 5 s at a time,
// and each step does what the server does at that moment with the real
// code on a real SQLite store: the burning applications' front-door
// seconds are stored (the local provider flushes every 5 s), the
// frontdoor.Rollup pass runs every 60 s (the other applications' minutes
// are written as its rows directly, to keep the run short), and an
// eval.Evaluator round every 30 s. The time to fire is thus the
// pipeline's cadences plus the burn-rate arithmetic; the compute each
// round takes (printed) adds to it.
//
//	go run ./bench/slo                  # 500 applications, 1,000 SLOs, 12 h of history
//	go run ./bench/slo -hours 72
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/eval"
	"github.com/gennaker/gennaker/internal/slo/frontdoor"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

func main() {
	var (
		apps     = flag.Int("apps", 500, "applications (two SLOs each)")
		hours    = flag.Int("hours", 12, "hours of per-minute history before the run")
		warm     = flag.Int("warm", 10, "evaluation rounds before the burn")
		maxAfter = flag.Duration("max-after", 20*time.Minute, "simulated time to wait for the alerts after the burn starts")
		procs    = flag.Int("procs", 2, "GOMAXPROCS")
	)
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	if err := run(*apps, *hours, *warm, *maxAfter); err != nil {
		fmt.Fprintln(os.Stderr, "slo benchmark:", err)
		os.Exit(1)
	}
}

// burner is an application whose errors start at the burn.
type burner struct {
	app      string
	errRatio float64
	fired    map[string]time.Time // alert -> when it first fired
}

// rps is each application's requests per second.
const rps = 20

func run(nApps, hours, warm int, maxAfter time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gennaker-bench-slo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "gennaker.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := model.Config{Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}}}
	for i := range nApps {
		cfg.Applications = append(cfg.Applications, model.Application{Name: appName(i), Run: model.RunSpec{Command: "x"}, Instances: 1,
			SLO: &model.AppSLO{Availability: 99.9, Latency: &model.AppLatency{P: 0.99, Under: model.Duration(300 * time.Millisecond)}}})
	}
	if _, err := st.ConfigApply(ctx, cfg); err != nil {
		return err
	}
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	fmt.Printf("SLO evaluator benchmark: %d applications, %d SLOs, %d h of minutes at %d req/s each, GOMAXPROCS %d\n",
		nApps, 2*nApps, hours, rps, runtime.GOMAXPROCS(0))

	// History: one row per application and minute, as the rollup writes.
	t := time.Now()
	rng := rand.New(rand.NewPCG(7, 11))
	var batch []store.TrafficMinute
	for m := start.Add(-time.Duration(hours) * time.Hour); m.Before(start); m = m.Add(time.Minute) {
		for i := range nApps {
			batch = append(batch, quietMinute(rng, appName(i), m))
		}
		if len(batch) >= 20000 {
			if err := st.TrafficMinutePut(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := st.TrafficMinutePut(ctx, batch); err != nil {
		return err
	}
	fmt.Printf("history: %d minutes written in %s\n", nApps*hours*60, time.Since(t).Round(time.Millisecond))

	now := start
	clock := func() time.Time { return now }
	sources := map[string]slo.Source{model.SLOSourceFrontDoor: &frontdoor.Source{Store: st, Environments: st, Seconds: st, Now: clock}}
	ev := eval.New(eval.Config{Store: withoutOpenSLO{st}, Sources: sources, Now: clock})
	roll := &frontdoor.Rollup{Store: st, Now: clock}
	burners := []*burner{{app: appName(0), errRatio: 1}, {app: appName(1), errRatio: 0.2}, {app: appName(2), errRatio: 0.05}}
	for _, b := range burners {
		b.fired = map[string]time.Time{}
	}
	isBurner := map[string]*burner{}
	for _, b := range burners {
		isBurner[b.app] = b
	}
	// The phases of the server's loops against the minute: the rollup
	// ticks 35 s into each minute, the evaluator at 10 s and 40 s, the
	// burn starts at 23 s into a minute.
	const rollupPhase, evalPhase = 35 * time.Second, 10 * time.Second
	burnAt := start.Add(time.Duration(warm)*30*time.Second + 23*time.Second)
	var first roundCost
	var steady []roundCost
	written := start // background minutes before this are written
	for now = start; now.Before(burnAt.Add(maxAfter)); now = now.Add(5 * time.Second) {
		// The burners' front-door seconds of the last 5 s.
		var secs []store.TrafficSecond
		for _, b := range burners {
			for s := now.Add(-5 * time.Second); s.Before(now); s = s.Add(time.Second) {
				errs := uint64(0)
				if !s.Before(burnAt) {
					errs = uint64(float64(rps)*b.errRatio + 0.5)
				}
				secs = append(secs, second(b.app, s, errs))
			}
		}
		if err := st.TrafficSecondsInsert(ctx, secs); err != nil {
			return err
		}
		if now.Sub(now.Truncate(time.Minute)) == rollupPhase {
			if err := roll.Pass(ctx); err != nil {
				return err
			}
			var rows []store.TrafficMinute
			for ; !written.After(now.Add(-time.Minute - 15*time.Second)); written = written.Add(time.Minute) {
				for i := range nApps {
					if isBurner[appName(i)] == nil {
						rows = append(rows, quietMinute(rng, appName(i), written))
					}
				}
			}
			if err := st.TrafficMinutePut(ctx, rows); err != nil {
				return err
			}
		}
		if d := now.Sub(now.Truncate(30 * time.Second)); d != evalPhase {
			continue
		}
		c, err := measure(func() error { _, err := ev.Round(ctx); return err })
		if err != nil {
			return err
		}
		if first.wall == 0 {
			first = c
			fmt.Printf("first round (loads the history): wall %s, CPU %s, RSS %d MiB\n", c.wall.Round(time.Millisecond), c.cpu.Round(time.Millisecond), rssMiB("VmRSS"))
		} else {
			steady = append(steady, c)
		}
		if now.Before(burnAt) {
			continue
		}
		for _, b := range burners {
			s, err := st.SLOStatusGet(ctx, b.app+"-availability")
			if err != nil {
				return err
			}
			for _, a := range s.Alerts {
				if _, seen := b.fired[a.Name]; a.Firing && !seen {
					b.fired[a.Name] = now
				}
			}
		}
		if !slices.ContainsFunc(burners, func(b *burner) bool { _, ok := b.fired["page-1h"]; return !ok }) {
			break
		}
	}
	statuses, err := st.SLOStatusList(ctx)
	if err != nil {
		return err
	}
	failed := 0
	for _, s := range statuses {
		if s.Error != "" {
			failed++
		}
	}
	fmt.Printf("statuses: %d, with an error: %d\n", len(statuses), failed)
	slices.SortFunc(steady, func(a, b roundCost) int { return int(a.cpu - b.cpu) })
	if n := len(steady); n > 0 {
		var sumCPU, sumWall time.Duration
		for _, c := range steady {
			sumCPU += c.cpu
			sumWall += c.wall
		}
		fmt.Printf("steady rounds: %d; CPU per round median %s, p90 %s, max %s, mean %s (%.2f%% of 2 cores over 30 s); wall mean %s\n",
			n, steady[n/2].cpu.Round(time.Millisecond), steady[n*9/10].cpu.Round(time.Millisecond), steady[n-1].cpu.Round(time.Millisecond),
			(sumCPU / time.Duration(n)).Round(time.Millisecond), 100*(sumCPU/time.Duration(n)).Seconds()/60, (sumWall / time.Duration(n)).Round(time.Millisecond))
	}
	fmt.Printf("RSS at the end %d MiB, peak %d MiB\n", rssMiB("VmRSS"), rssMiB("VmHWM"))
	fmt.Printf("time from the errors' start to each alert firing (simulated; add a round's wall time; the 1-day and 3-day\n" +
		"windows hold only -hours of history, so the ticket alerts fire sooner than with a full history):\n")
	for _, b := range burners {
		var parts []string
		for _, a := range model.DefaultBurnRateAlerts() {
			if at, ok := b.fired[a.Name]; ok {
				parts = append(parts, fmt.Sprintf("%s %s", a.Name, at.Sub(burnAt)))
			} else {
				parts = append(parts, a.Name+" not within "+maxAfter.String())
			}
		}
		fmt.Printf("  %3.0f%% errors (%s): %s\n", 100*b.errRatio, b.app, strings.Join(parts, ", "))
	}
	return nil
}

// withoutOpenSLO: the benchmark's SLOs are the applications' shorthand.
type withoutOpenSLO struct{ *sqlite.Store }

func (withoutOpenSLO) SLOList(context.Context) ([]model.SLO, error) { return nil, nil }

func appName(i int) string { return fmt.Sprintf("app-%04d", i) }

// quietMinute is a minute of rps requests a second, a few errors, most
// answered in 5-250 ms, a few slower.
func quietMinute(rng *rand.Rand, app string, m time.Time) store.TrafficMinute {
	dense := make([]uint64, latency.NumBuckets)
	n := uint64(60 * rps)
	for range 30 {
		dense[latency.BucketOf(0.005+0.245*rng.Float64())] += n / 40
	}
	dense[latency.BucketOf(0.5+rng.Float64())] += n - 30*(n/40)
	errs := uint64(0)
	if rng.IntN(20) == 0 {
		errs = 1
	}
	return store.TrafficMinute{Application: app, Environment: "prod", Minute: m, Requests: n, Errors: errs, Latency: latency.EncodeMinute(dense)}
}

// second is one front-door second of a burner.
func second(app string, at time.Time, errs uint64) store.TrafficSecond {
	return store.TrafficSecond{Application: app, Environment: "prod", ServerGroup: app + "-v001", Time: at, Requests: rps, Errors: errs,
		SumSeconds: 0.05 * rps, Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: uint16(latency.BucketOf(0.05)), N: rps}}}}
}

type roundCost struct{ wall, cpu time.Duration }

// measure times fn: wall clock and the process's CPU (user + system).
func measure(fn func() error) (roundCost, error) {
	c0, w0 := cpuTime(), time.Now()
	err := fn()
	return roundCost{wall: time.Since(w0), cpu: cpuTime() - c0}, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMiB reads a memory line of /proc/self/status (VmRSS, VmHWM) in MiB.
func rssMiB(field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb / 1024
		}
	}
	return -1
}
