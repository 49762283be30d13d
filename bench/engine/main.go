// Command engine measures execution throughput of a gennaker server end to
// end: it starts a fresh server process, applies a pipeline of five chained
// no-op stages, starts N executions through the API with several concurrent
// clients, and times the first start request until all N have succeeded.
//
//	go run ./bench/engine [-n 4000] [-runs 3] [-clients 16] [-bin PATH] [-workers N]
//
// Each run uses a new server on a new data directory; the median is printed
// last. Target: 4,000 executions in at most 20 s on a 2-core machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

func main() {
	var (
		n        = flag.Int("n", 4000, "executions per run")
		runs     = flag.Int("runs", 3, "runs, each on a fresh server; the median is reported")
		clients  = flag.Int("clients", 16, "concurrent HTTP clients starting executions")
		bin      = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		workers  = flag.Int("workers", 0, "pass --workers to the server (0: server default)")
		poll     = flag.Duration("poll", 100*time.Millisecond, "how often to ask whether executions are still running")
		timeout  = flag.Duration("timeout", 5*time.Minute, "give up on a run after this long")
		keepData = flag.Bool("keep", false, "keep the temp directory (data dirs and server logs)")
		target   = flag.Duration("target", 20*time.Second, "target total time for -n 4000 (reported, not enforced)")
	)
	flag.Parse()

	tmp, err := os.MkdirTemp("", "gennaker-bench-engine-")
	check(err)
	if !*keepData {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Fprintln(os.Stderr, "keeping", tmp)
	}
	path, err := harness.Binary(*bin, tmp)
	check(err)

	fmt.Printf("engine benchmark: %d executions x %d no-op stages (chain), %d clients, %d runs, GOMAXPROCS/NumCPU %d/%d\n",
		*n, harness.EngineStages, *clients, *runs, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("%-4s %10s %10s %12s %14s %10s\n", "run", "submit_s", "total_s", "execs/s", "stage_steps/s", "peak_rss")
	var totals, rates, steps, submits []float64
	for i := 1; i <= *runs; i++ {
		r, err := run(tmp, path, *n, *clients, *workers, *poll, *timeout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "run", i, "failed:", err)
			os.Exit(1)
		}
		fmt.Printf("%-4d %10.2f %10.2f %12.1f %14.1f %9.0fM\n", i, r.submit.Seconds(), r.total.Seconds(),
			float64(*n)/r.total.Seconds(), float64(*n*harness.EngineStages)/r.total.Seconds(), float64(r.hwm)/(1<<20))
		totals = append(totals, r.total.Seconds())
		rates = append(rates, float64(*n)/r.total.Seconds())
		steps = append(steps, float64(*n*harness.EngineStages)/r.total.Seconds())
		submits = append(submits, r.submit.Seconds())
	}
	med := harness.Median(totals)
	fmt.Printf("median %8.2f %10.2f %12.1f %14.1f\n", harness.Median(submits), med, harness.Median(rates), harness.Median(steps))
	scaled := *target * time.Duration(*n) / 4000
	verdict := "MEETS"
	if med > scaled.Seconds() {
		verdict = "MISSES"
	}
	fmt.Printf("target: %d executions in <= %.1f s (4,000 in %s): %s (median %.2f s)\n", *n, scaled.Seconds(), *target, verdict, med)
}

type result struct {
	submit time.Duration // first start request until the last one answered
	total  time.Duration // first start request until all succeeded
	hwm    int64
}

func run(tmp, bin string, n, clients, workers int, poll, timeout time.Duration) (result, error) {
	var r result
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv, err := harness.Start(harness.Options{Bin: bin, TempDir: tmp, Workers: workers})
	if err != nil {
		return r, err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping server:", err)
		}
	}()
	if _, err := srv.WaitHealthy(ctx, 5*time.Millisecond); err != nil {
		return r, err
	}
	token, err := srv.Token()
	if err != nil {
		return r, err
	}
	hc := &http.Client{Transport: harness.Authorized{Token: token, Base: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}, Timeout: time.Minute}
	if err := harness.Post(ctx, hc, srv.URL+"/api/v1/config", harness.EngineConfig(), nil); err != nil {
		return r, fmt.Errorf("applying config: %w", err)
	}

	w, err := harness.Workload{Client: hc, Base: srv.URL, Pipeline: harness.EnginePipeline, N: n, Clients: clients, Poll: poll}.Run(ctx)
	r.submit = w.Submit
	if err != nil {
		return r, err
	}
	r.total = w.Total
	r.hwm, _ = srv.HWM()

	var done []struct {
		Status string `json:"status"`
	}
	// The API pages lists (at most 500 executions a page): follow each
	// page's Link header.
	for next := srv.URL + "/api/v1/executions?limit=500"; next != ""; {
		var page []struct {
			Status string `json:"status"`
		}
		link, err := harness.GetPage(ctx, hc, next, &page)
		if err != nil {
			return r, fmt.Errorf("listing executions: %w", err)
		}
		done = append(done, page...)
		next = ""
		if link != "" {
			next = srv.URL + link
		}
	}
	ok := 0
	byStatus := map[string]int{}
	for _, e := range done {
		byStatus[e.Status]++
		if e.Status == "succeeded" {
			ok++
		}
	}
	if ok != n || len(done) != n {
		return r, fmt.Errorf("expected %d succeeded executions, got %v", n, byStatus)
	}
	return r, nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
