// Command frontdoor compares gennaker's front door with haproxy 2.6 and with
// no proxy at all, on one machine.
//
// It starts two server groups of a minimal Go HTTP backend (this program
// with GENNAKER_BENCH_BACKEND=1) through the local provider, puts the front
// door (SetRoutes) and haproxy (http mode, keep-alive, roundrobin) in front
// of them with the same 90/10 split, and drives each target with wrk pinned
// to one core while the proxies (the front-door process, haproxy,
// and the backends they start) are pinned to another:
//
//	taskset -c 0 wrk -t1 -c64 -d10s --latency URL
//
// in interleaved rounds (direct, haproxy, front door; the order rotates
// each round), printing req/s and p99 of each and the ratios front
// door/haproxy and front door/direct per round and their medians, and the
// CPU time per request of each proxy and of the backends (/proc). Then it
// sends a fixed 1,000 req/s (open loop, a Go client pinned to the load
// core) to each, in interleaved rounds too, for the p99 the proxies add
// (per round against direct's, and the median), and prints the split each
// proxy gave: answers counted by the backends during the wrk rounds, and by
// their X-Backend header in the fixed-rate runs.
//
// Last, it drives haproxy's HTTP/2 frontend and the front door with h2load
// (HTTP/2 in cleartext) in interleaved rounds.
//
//	bench/frontdoor/deps.sh   # haproxy, wrk and h2load, once
//	go run ./bench/frontdoor [-rounds 3] [-d 10s] [-c 64] [-rate 1000] [-h2-rounds 2]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/gennaker/gennaker/internal/provider/local"
)

// pinnedEnv marks the process re-run under taskset on the proxies' core.
const pinnedEnv = "GENNAKER_BENCH_PINNED"

type options struct {
	rounds      int
	d, rateD    time.Duration
	conns, rate int
	rateRounds  int
	loadCPUs    string // wrk and the fixed-rate client
	proxyCPUs   string // the front door, haproxy and the backends
	stable      int    // instances of the stable group (weight 90)
	canary      int    // instances of the canary group (weight 10)
	rateURL     string // set: be the fixed-rate client for this URL
	h2Rounds    int    // rounds of h2load
	h2Streams   int    // h2load -m
}

func main() {
	// The provider runs its front doors in a child process started from
	// this executable: be that process when started as one.
	local.MaybeServeFrontDoor()
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of wrk against each target")
	flag.DurationVar(&o.d, "d", 10*time.Second, "length of one wrk run (whole seconds)")
	flag.IntVar(&o.conns, "c", 64, "wrk connections")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second of the fixed-rate runs")
	flag.DurationVar(&o.rateD, "rate-d", 10*time.Second, "length of one fixed-rate run")
	flag.IntVar(&o.rateRounds, "rate-rounds", 3, "interleaved rounds of the fixed-rate runs")
	flag.StringVar(&o.loadCPUs, "load-cpus", "0", "cores of the load generators (taskset -c)")
	flag.StringVar(&o.proxyCPUs, "proxy-cpus", "1", "cores of the proxies and backends (taskset -c)")
	flag.IntVar(&o.stable, "stable", 1, "instances of the stable group (90%)")
	flag.IntVar(&o.canary, "canary", 1, "instances of the canary group (10%)")
	flag.IntVar(&o.h2Rounds, "h2-rounds", 2, "interleaved rounds of h2load (HTTP/2 in cleartext) against haproxy and the front door; 0: none")
	flag.IntVar(&o.h2Streams, "h2-streams", 1, "h2load: requests in flight per connection (-m)")
	flag.StringVar(&o.rateURL, "rate-url", "", "internal: run as the fixed-rate client against this URL")
	flag.Parse()

	var err error
	switch {
	case o.rounds < 1 || o.rateRounds < 1 || o.conns < 1 || o.rate < 1 || o.stable < 1 || o.canary < 1 || o.h2Streams < 1:
		err = fmt.Errorf("-rounds %d, -rate-rounds %d, -c %d, -rate %d, -stable %d, -canary %d, -h2-streams %d: give each at least 1",
			o.rounds, o.rateRounds, o.conns, o.rate, o.stable, o.canary, o.h2Streams)
	case o.h2Rounds < 0:
		err = fmt.Errorf("-h2-rounds %d: give 0 (no HTTP/2 rounds) or more", o.h2Rounds)
	case os.Getenv(backendEnv) == "1":
		err = runBackend()
	case o.rateURL != "":
		err = runRate(o.rateURL, o.rate, o.conns, o.rateD)
	case os.Getenv(pinnedEnv) != "1":
		err = rerunPinned(o.proxyCPUs)
	default:
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/frontdoor:", err)
		os.Exit(1)
	}
}

// rerunPinned runs this program again under taskset on cpus, so the front
// door, which lives in this process, and the backends it starts stay there.
func rerunPinned(cpus string) error {
	for _, tool := range []string{"taskset", "wrk", "haproxy"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed: run bench/frontdoor/deps.sh (as root)", tool)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("taskset", append([]string{"-c", cpus, exe}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), pinnedEnv+"=1")
	err = cmd.Run()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	return err
}
