// Command auth measures what authentication costs per API request, and
// what that is worth against the engine benchmark's time per execution,
// in one run against one real gennaker server process.
//
// Each round, on the same server:
//
//   - sequential: -seq requests of each probe (see probes) over one
//     keep-alive connection, in slices of -batch that cycle through the
//     probes, so a burst of noise lands on all of them; median latency.
//   - concurrent: -conc requests of each probe from -clients closed-loop
//     clients, in -blocks blocks that cycle through the probes; requests/s,
//     wall time per request (1/rps), and the server's CPU time per request
//     (utime+stime from /proc/PID/stat, 10 ms ticks).
//   - engine: -n executions of bench/engine's no-op five-stage pipeline
//     started through the API by -clients clients, timed until none runs.
//
// The cost of a credential is its probe's figure minus the baseline's
// (GET /healthz without credential) in the same round. Its share of the
// engine's time per execution is that cost times the API requests per
// execution (one start, plus the batch's status polls spread over its
// executions) over the batch's wall time per execution, in the same round.
// Every figure printed last is the median over rounds.
//
// With -compare BIN it then runs the engine batch alone on fresh servers of
// BIN and of the tested binary, alternating, -compare-runs times each: the
// whole cost of what changed between them (with BIN built before
// authentication: credentials, access rules, the audit entry of every
// start, body limits), where the probes above price the credential alone.
// -rounds 0 runs the comparison only.
//
//	go run ./bench/auth [-rounds 3] [-seq 2000] [-conc 8000] [-clients 16] [-n 4000] [-bin PATH]
//	go run ./bench/auth -rounds 0 -compare /tmp/gennaker-before-auth [-compare-runs 5]
//
// Target (the authentication issue): under 5 % of the engine's throughput.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

type options struct {
	rounds, seq, batch, conc, blocks, clients, n int
	poll                                         time.Duration
	target                                       float64
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of (sequential, concurrent, engine) on the same server; medians are reported")
	flag.IntVar(&o.seq, "seq", 2000, "sequential requests per probe per round")
	flag.IntVar(&o.batch, "batch", 50, "sequential requests of one probe before the next probe's")
	flag.IntVar(&o.conc, "conc", 8000, "concurrent requests per probe per round")
	flag.IntVar(&o.blocks, "blocks", 4, "concurrent blocks per probe per round (cycling through the probes)")
	flag.IntVar(&o.clients, "clients", 16, "concurrent HTTP clients (requests and execution starts)")
	flag.IntVar(&o.n, "n", 4000, "executions per engine batch (one batch per round)")
	flag.DurationVar(&o.poll, "poll", 100*time.Millisecond, "how often to ask whether executions are still running")
	flag.Float64Var(&o.target, "target", 0.05, "target: the largest share of the engine's time per execution authentication may take")
	var (
		bin     = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		workers = flag.Int("workers", 0, "pass --workers to the server (0: server default)")
		timeout = flag.Duration("timeout", 10*time.Minute, "give up after this long")
		keep    = flag.Bool("keep", false, "keep the temp directory (data dir and server log)")
		base    = flag.String("compare", "", "also run the engine batch on fresh servers of this binary and of the tested one, alternating (e.g. one built before authentication)")
		cruns   = flag.Int("compare-runs", 5, "engine runs of each binary with -compare")
	)
	flag.Parse()

	tmp, err := os.MkdirTemp("", "gennaker-bench-auth-")
	check(err)
	if *keep {
		fmt.Fprintln(os.Stderr, "keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	path, err := harness.Binary(*bin, tmp)
	check(err)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if o.rounds > 0 {
		srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp, Workers: *workers})
		check(err)
		err = run(ctx, srv, o, *bin == "")
		if stopErr := srv.Stop(); stopErr != nil {
			fmt.Fprintln(os.Stderr, "stopping server:", stopErr)
		}
		check(err)
	}
	if *base != "" {
		basePath, err := filepath.Abs(*base)
		check(err)
		check(compareEngine(ctx, compareOptions{bin: path, base: basePath, runs: *cruns, workers: *workers, tmp: tmp}, o))
	}
}

func run(ctx context.Context, srv *harness.Server, o options, built bool) error {
	if _, err := srv.WaitHealthy(ctx, 5*time.Millisecond); err != nil {
		return err
	}
	token, err := srv.Token()
	if err != nil {
		return err
	}
	api := &http.Client{Timeout: time.Minute, Transport: harness.Authorized{Token: token,
		Base: &http.Transport{MaxIdleConnsPerHost: o.clients, MaxConnsPerHost: o.clients}}}
	if err := harness.Post(ctx, api, srv.URL+"/api/v1/config", harness.EngineConfig(), nil); err != nil {
		return fmt.Errorf("applying config: %w", err)
	}
	session, err := login(ctx, srv.URL, token)
	if err != nil {
		return fmt.Errorf("logging in with the token: %w", err)
	}
	ps := probes(token, session)
	reqs, err := newRequests(ctx, srv.URL, ps)
	if err != nil {
		return err
	}
	seqC := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	concC := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients, MaxConnsPerHost: o.clients, DisableCompression: true}}
	pid := srv.Cmd.Process.Pid

	printHeader(o, ps, built)
	// Warm up: connections, prepared statements, the policy snapshot, the
	// engine's queue; nothing of it is counted.
	warm := make([]sample, len(ps))
	if err := sequential(seqC, reqs, warm, 200, 50, 0); err != nil {
		return err
	}
	if err := concurrent(ctx, concC, reqs, warm, pid, 400, 1, o.clients, 0); err != nil {
		return err
	}
	if _, err := runEngine(ctx, api, srv.URL, max(1, o.n/20), o.clients, o.poll); err != nil {
		return fmt.Errorf("engine warm-up: %w", err)
	}

	var rounds []round
	for i := range o.rounds {
		r := round{samples: make([]sample, len(ps))}
		if err := sequential(seqC, reqs, r.samples, o.seq, o.batch, i); err != nil {
			return err
		}
		if err := concurrent(ctx, concC, reqs, r.samples, pid, o.conc, o.blocks, o.clients, i); err != nil {
			return err
		}
		if r.engine, err = runEngine(ctx, api, srv.URL, o.n, o.clients, o.poll); err != nil {
			return err
		}
		printRound(i+1, ps, r)
		rounds = append(rounds, r)
	}
	printSummary(o, ps, rounds)
	return nil
}

func printHeader(o options, ps []probe, built bool) {
	commit := ""
	if built {
		if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
			commit = ", commit " + strings.TrimSpace(string(out))
		}
	}
	fmt.Printf("auth benchmark: %d rounds; per probe and round %d sequential + %d concurrent requests (%d clients); engine %d executions x %d no-op stages per round\n",
		o.rounds, o.seq, o.conc, o.clients, o.n, harness.EngineStages)
	fmt.Printf("machine: %s/%s, GOMAXPROCS/NumCPU %d/%d, %s%s\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), commit)
	fmt.Println("probes:")
	for _, p := range ps {
		fmt.Printf("  %-16s %s\n", p.name, p.what)
	}
}

func printRound(n int, ps []probe, r round) {
	fmt.Printf("\nround %d\n", n)
	fmt.Printf("  %-16s %10s %10s %9s %10s %10s\n", "probe", "seq_p50_us", "conc_p50_us", "req/s", "wall/req_us", "cpu/req_us")
	for i, p := range ps {
		f := figuresOf(r.samples[i])
		fmt.Printf("  %-16s %10.1f %10.1f %9.0f %10.1f %10.1f\n", p.name, f.seqP50, f.concP50, f.rps, f.wall, f.cpu)
	}
	e := r.engine
	fmt.Printf("  engine: %d executions, submit %.2f s, total %.2f s, %.1f execs/s, %.0f us per execution, %d polls\n",
		e.n, e.submit.Seconds(), e.total.Seconds(), float64(e.n)/e.total.Seconds(), perExecutionUS(e), e.polls)
}

func printSummary(o options, ps []probe, rounds []round) {
	rows := summarize(ps, rounds)
	var totals, rates, perExec, reqs []float64
	for _, r := range rounds {
		totals = append(totals, r.engine.total.Seconds())
		rates = append(rates, float64(r.engine.n)/r.engine.total.Seconds())
		perExec = append(perExec, perExecutionUS(r.engine))
		reqs = append(reqs, requestsPerExecution(r.engine))
	}
	m := harness.Median
	fmt.Printf("\nmedians over %d rounds (differences and shares are taken within a round, then the median)\n", len(rounds))
	fmt.Printf("  %-16s %10s %8s %10s %9s %10s %8s %10s %8s\n", "probe", "seq_p50_us", "+us", "conc_p50_us", "req/s", "wall/req_us", "+us", "cpu/req_us", "+us")
	for _, r := range rows {
		fmt.Printf("  %-16s %10.1f %8.1f %10.1f %9.0f %10.1f %8.1f %10.1f %8.1f\n",
			r.name, r.med.seqP50, r.dSeq, r.med.concP50, r.med.rps, r.med.wall, r.dWall, r.med.cpu, r.dCPU)
	}
	fmt.Printf("  engine: total %.2f s for %d executions, %.1f execs/s, %.0f us per execution, %.4f API requests per execution\n",
		m(totals), o.n, m(rates), m(perExec), m(reqs))

	fmt.Printf("\nshare of the engine's time per execution = extra us per request x API requests per execution / us per execution\n")
	fmt.Printf("(assumes one start request per execution, POST /api/v1/pipelines/%s/executions, and counts the status polls\n", harness.EnginePipeline)
	fmt.Printf(" of each batch, every %s after the last start, at the same cost; the engine's workers make no API request)\n", o.poll)
	fmt.Printf("  %-16s %14s %14s\n", "probe", "sequential", "concurrent")
	for _, r := range rows[1:] {
		fmt.Printf("  %-16s %13.2f%% %13.2f%%\n", r.name, 100*r.shareSeq, 100*r.shareWall)
	}
	authn := rows[1] // healthz+token
	worst := rows[1]
	for _, r := range rows[1:] {
		if strings.HasSuffix(r.name, "+token") && r.shareSeq > worst.shareSeq {
			worst = r
		}
	}
	fmt.Printf("\ntarget: authentication under %.0f%% of the engine's time per execution\n", 100*o.target)
	fmt.Printf("  %s (token authentication, %d clients): %+.1f us per request = %.2f%% of %.0f us per execution: %s\n",
		authn.name, o.clients, authn.dWall, 100*authn.shareWall, m(perExec), verdict(authn.shareWall, o.target))
	fmt.Printf("  %s (token authentication, one at a time): %+.1f us per request = %.2f%%: %s\n",
		authn.name, authn.dSeq, 100*authn.shareSeq, verdict(authn.shareSeq, o.target))
	fmt.Printf("  largest token probe, one at a time (%s, includes its rule and handler): %+.1f us per request = %.2f%%: %s\n",
		worst.name, worst.dSeq, 100*worst.shareSeq, verdict(worst.shareSeq, o.target))
}

func verdict(share, target float64) string {
	if share < target {
		return "MEETS"
	}
	return "MISSES"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
