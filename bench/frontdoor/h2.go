package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// http2Rounds drives haproxy's HTTP/2 frontend and the front door with
// h2load (HTTP/2 in cleartext, prior knowledge; o.conns connections,
// o.h2Streams requests in flight on each), in o.h2Rounds interleaved
// rounds, and prints req/s, the ratio and each proxy's CPU per request.
// The instances get HTTP/1.1 from both.
func http2Rounds(o options, targets []target, proxyCPU func(target) float64) error {
	if o.h2Rounds < 1 {
		return nil
	}
	var ratios []float64
	rps, us := map[string][]float64{}, map[string][]float64{}
	for r := range o.h2Rounds {
		res := map[string]float64{}
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			cpu0 := proxyCPU(t)
			h, err := runH2load(o.loadCPUs, t.url, o.conns, o.h2Streams, o.d)
			if err != nil {
				return fmt.Errorf("%s over HTTP/2: %w", t.name, err)
			}
			if h.failed > 0 {
				fmt.Printf("  %s over HTTP/2: %d of %d requests failed\n", t.name, h.failed, h.done)
			}
			res[t.name] = h.rps
			rps[t.name] = append(rps[t.name], h.rps)
			us[t.name] = append(us[t.name], (proxyCPU(t)-cpu0)*1e6/float64(h.done))
		}
		ratios = append(ratios, res["frontdoor"]/res["haproxy"])
		fmt.Printf("HTTP/2 round %d: haproxy %.0f req/s (%.1f µs/request) | frontdoor %.0f req/s (%.1f µs/request) | frontdoor/haproxy %.3f | load %s\n",
			r+1, res["haproxy"], us["haproxy"][r], res["frontdoor"], us["frontdoor"][r], ratios[r], harness.Load1())
	}
	fmt.Printf("HTTP/2, median of %d rounds: haproxy %.0f req/s, proxy %.1f µs/request | frontdoor %.0f req/s, proxy %.1f µs/request | frontdoor/haproxy %.3f\n",
		o.h2Rounds, median(rps["haproxy"]), median(us["haproxy"]), median(rps["frontdoor"]), median(us["frontdoor"]), median(ratios))
	return nil
}

type h2loadResult struct {
	rps          float64
	done, failed int
}

// runH2load runs h2load pinned to cpus for d (whole seconds) after a
// second's warm-up.
func runH2load(cpus, url string, conns, streams int, d time.Duration) (h2loadResult, error) {
	cmd := exec.Command("taskset", "-c", cpus, "h2load", "-c", strconv.Itoa(conns), "-m", strconv.Itoa(streams),
		"-D", strconv.Itoa(int(d.Seconds())), "--warm-up-time=1", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return h2loadResult{}, fmt.Errorf("h2load %s: %w: %s (run bench/frontdoor/deps.sh)", url, err, out)
	}
	return parseH2load(out)
}

// parseH2load reads "finished in 10.00s, 23456.70 req/s, ..." and
// "requests: N total, N started, N done, N succeeded, N failed, ...".
func parseH2load(out []byte) (h2loadResult, error) {
	var r h2loadResult
	var sawRPS, sawRequests bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "finished in "):
			for _, part := range strings.Split(line, ", ") {
				if v, ok := strings.CutSuffix(part, " req/s"); ok {
					f, err := strconv.ParseFloat(v, 64)
					if err != nil {
						return r, fmt.Errorf("h2load: %q: %w", line, err)
					}
					r.rps, sawRPS = f, true
				}
			}
		case strings.HasPrefix(line, "requests: "):
			for _, part := range strings.Split(strings.TrimPrefix(line, "requests: "), ", ") {
				f := strings.Fields(part)
				if len(f) != 2 {
					continue
				}
				n, err := strconv.Atoi(f[0])
				if err != nil {
					return r, fmt.Errorf("h2load: %q: %w", line, err)
				}
				switch f[1] {
				case "done":
					r.done, sawRequests = n, true
				case "failed":
					r.failed = n
				}
			}
		}
	}
	if !sawRPS || !sawRequests || r.done == 0 {
		return r, fmt.Errorf("h2load printed no request rate or count:\n%s", out)
	}
	return r, nil
}
