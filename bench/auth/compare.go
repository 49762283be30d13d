package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// compareOptions configure the engine comparison with another binary.
type compareOptions struct {
	bin     string // the binary under test
	base    string // the binary to compare with, e.g. built before authentication
	runs    int
	workers int
	tmp     string
}

// compareEngine runs the engine batch on fresh servers of both binaries,
// alternating which goes first, and prints each pair and the median ratio.
// A binary without --cli-config (from before authentication) is started
// without it and driven with no credential.
func compareEngine(ctx context.Context, c compareOptions, o options) error {
	var legacy [2]bool
	for k, bin := range []string{c.base, c.bin} {
		out, _ := exec.Command(bin, "server", "--help").CombinedOutput()
		legacy[k] = !strings.Contains(string(out), "--cli-config")
	}
	fmt.Printf("\nengine comparison: %d executions per run on a fresh server, %d runs of each binary, alternating\n", o.n, c.runs)
	for k, bin := range []string{c.base, c.bin} {
		how := "with its local admin token"
		if legacy[k] {
			how = "no credential (it has no --cli-config: from before authentication)"
		}
		fmt.Printf("  %s: %s, %s\n", []string{"base", "test"}[k], bin, how)
	}
	fmt.Printf("  %-4s %12s %12s %10s\n", "run", "base_total_s", "test_total_s", "test/base")
	var bases, tests, ratios []float64
	for i := range c.runs {
		var got [2]time.Duration
		for k := range 2 {
			which := (i + k) % 2 // 0: base, 1: test
			bin := c.base
			if which == 1 {
				bin = c.bin
			}
			r, err := freshEngine(ctx, bin, legacy[which], c, o)
			if err != nil {
				return fmt.Errorf("%s: %w", bin, err)
			}
			got[which] = r.total
		}
		ratio := got[1].Seconds() / got[0].Seconds()
		fmt.Printf("  %-4d %12.2f %12.2f %10.3f\n", i+1, got[0].Seconds(), got[1].Seconds(), ratio)
		bases, tests, ratios = append(bases, got[0].Seconds()), append(tests, got[1].Seconds()), append(ratios, ratio)
	}
	m := harness.Median
	fmt.Printf("  %-4s %12.2f %12.2f %10.3f   (median of the same-run ratios)\n", "med", m(bases), m(tests), m(ratios))
	fmt.Printf("  the test binary's engine throughput is %.1f%% of the base's (%.1f%% lower)\n", 100/m(ratios), 100*(1-1/m(ratios)))
	return nil
}

// freshEngine starts bin on a new data directory and runs one engine batch.
func freshEngine(ctx context.Context, bin string, legacy bool, c compareOptions, o options) (engineResult, error) {
	srv, err := harness.Start(harness.Options{Bin: bin, TempDir: c.tmp, Workers: c.workers, NoCLIConfig: legacy})
	if err != nil {
		return engineResult{}, err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping server:", err)
		}
	}()
	if _, err := srv.WaitHealthy(ctx, 5*time.Millisecond); err != nil {
		return engineResult{}, err
	}
	var rt http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: o.clients, MaxConnsPerHost: o.clients}
	if !legacy {
		token, err := srv.Token()
		if err != nil {
			return engineResult{}, err
		}
		rt = harness.Authorized{Token: token, Base: rt}
	}
	hc := &http.Client{Timeout: time.Minute, Transport: rt}
	if err := harness.Post(ctx, hc, srv.URL+"/api/v1/config", harness.EngineConfig(), nil); err != nil {
		return engineResult{}, fmt.Errorf("applying config: %w", err)
	}
	return runEngine(ctx, hc, srv.URL, o.n, o.clients, o.poll)
}
