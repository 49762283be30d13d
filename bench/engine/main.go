// Command engine measures execution throughput of a gennaker server end to
// end: it starts a fresh server process, applies a pipeline of five chained
// no-op stages, starts N executions through the API with several concurrent
// clients, and times the first start request until all N have succeeded.
//
//	go run ./bench/engine [-n 4000] [-runs 3] [-clients 16] [-bin PATH] [-workers N]
//	go run ./bench/engine -store postgres [-replicas 2]
//
// Each run uses a new server on a new data directory; the median is printed
// last. With -store postgres the program starts a PostgreSQL server of its
// own (test/pgenv: Debian's postgresql 15, fsync off) and each run gets a
// fresh database and -replicas servers on it: the start requests are spread
// over them round-robin, the completion poll asks the first. Target: 4,000
// executions in at most 20 s on a 2-core machine, the database included.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/test/pgenv"
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
		storeK   = flag.String("store", "sqlite", "sqlite (each server's embedded store) or postgres (a PostgreSQL server started for the benchmark, a fresh database per run)")
		replicas = flag.Int("replicas", 1, "with -store postgres: servers sharing the run's database")
		pgSample = flag.Bool("pgsample", false, "with -store postgres: sample pg_stat_activity every 20 ms and print the busiest statements")
		pgStmts  = flag.Bool("pgstatements", false, "with -store postgres: preload pg_stat_statements and print each statement's calls and time per execution")
	)
	flag.Parse()
	if *storeK != "sqlite" && *storeK != "postgres" {
		check(fmt.Errorf("-store %q: use sqlite or postgres", *storeK))
	}
	if *replicas < 1 || (*replicas > 1 && *storeK != "postgres") {
		check(fmt.Errorf("-replicas %d: use 1, or more with -store postgres (replicas share a database)", *replicas))
	}
	var pg *pgenv.Server
	if *storeK == "postgres" {
		var err error
		var settings []string
		if *pgStmts {
			settings = append(settings, "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all")
		}
		pg, err = pgenv.LaunchWith(settings...)
		check(err)
		defer pg.Stop()
	}

	tmp, err := os.MkdirTemp("", "gennaker-bench-engine-")
	check(err)
	if !*keepData {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Fprintln(os.Stderr, "keeping", tmp)
	}
	path, err := harness.Binary(*bin, tmp)
	check(err)

	fmt.Printf("engine benchmark: %d executions x %d no-op stages (chain), %d clients, %d runs, store %s, %d replica(s), GOMAXPROCS/NumCPU %d/%d\n",
		*n, harness.EngineStages, *clients, *runs, *storeK, *replicas, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("%-4s %10s %10s %12s %14s %10s\n", "run", "submit_s", "total_s", "execs/s", "stage_steps/s", "peak_rss")
	var totals, rates, steps, submits []float64
	for i := 1; i <= *runs; i++ {
		var sampler *pgSampler
		stopSampling := func() {}
		if *pgSample && pg != nil {
			sampler = &pgSampler{}
			sctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = sampler.sample(sctx, pg.AdminURL(), 20*time.Millisecond) }()
			stopSampling = func() { cancel(); <-done }
		}
		stmts := pgStatements{}
		if *pgStmts && pg != nil {
			stmts.adminURL = pg.AdminURL()
			check(stmts.reset(context.Background()))
		}
		r, err := run(setup{tmp: tmp, bin: path, pg: pg, replicas: *replicas, workers: *workers}, *n, *clients, *poll, *timeout)
		stopSampling()
		if sampler != nil {
			sampler.report(15)
		}
		if stmts.adminURL != "" && err == nil {
			check(stmts.report(context.Background(), *n, 25))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "run", i, "failed:", err)
			if pg != nil {
				fmt.Fprintf(os.Stderr, "postgres log (last lines):\n%s\n", pg.LogTail(20))
			}
			os.Exit(1)
		}
		var rss []string
		for _, h := range r.hwm {
			rss = append(rss, fmt.Sprintf("%.0fM", float64(h)/(1<<20)))
		}
		fmt.Printf("%-4d %10.2f %10.2f %12.1f %14.1f %10s\n", i, r.submit.Seconds(), r.total.Seconds(),
			float64(*n)/r.total.Seconds(), float64(*n*harness.EngineStages)/r.total.Seconds(), strings.Join(rss, "/"))
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
	hwm    []int64       // per server
}

// setup says what servers a run starts: one on its own data directory, or
// with pg replicas servers on a fresh database of pg.
type setup struct {
	tmp, bin string
	pg       *pgenv.Server
	replicas int
	workers  int
}

// start starts the run's servers and waits until they are healthy; the
// first wrote the admin token (the others, on the same database, write no
// CLI credential, which would replace it). stop stops those started.
func (s setup) start(ctx context.Context) (srvs []*harness.Server, stop func(), err error) {
	stop = func() {
		for _, srv := range srvs {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "stopping server:", err)
			}
		}
	}
	var extra []string
	if s.pg != nil {
		db, err := s.pg.CreateDatabase(ctx, "bench_engine")
		if err != nil {
			return nil, stop, err
		}
		extra = []string{"--store", s.pg.URL(db)}
	}
	for i := range s.replicas {
		srv, err := harness.Start(harness.Options{Bin: s.bin, TempDir: s.tmp, Workers: s.workers, Extra: extra, NoCLIConfig: i > 0})
		if err != nil {
			return srvs, stop, err
		}
		srvs = append(srvs, srv)
		// One at a time: the first migrates the database.
		if _, err := srv.WaitHealthy(ctx, 5*time.Millisecond); err != nil {
			return srvs, stop, err
		}
	}
	return srvs, stop, nil
}

func run(s setup, n, clients int, poll, timeout time.Duration) (result, error) {
	var r result
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srvs, stop, err := s.start(ctx)
	defer stop()
	if err != nil {
		return r, err
	}
	srv := srvs[0]
	token, err := srv.Token()
	if err != nil {
		return r, err
	}
	hc := &http.Client{Transport: harness.Authorized{Token: token, Base: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}, Timeout: time.Minute}
	if err := harness.Post(ctx, hc, srv.URL+"/api/v1/config", harness.EngineConfig(), nil); err != nil {
		return r, fmt.Errorf("applying config: %w", err)
	}
	var starts []string
	for _, srv := range srvs {
		starts = append(starts, srv.URL)
	}

	w, err := harness.Workload{Client: hc, Base: srv.URL, Starts: starts, Pipeline: harness.EnginePipeline, N: n, Clients: clients, Poll: poll}.Run(ctx)
	r.submit = w.Submit
	if err != nil {
		return r, err
	}
	r.total = w.Total
	for _, srv := range srvs {
		h, _ := srv.HWM()
		r.hwm = append(r.hwm, h)
	}

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
