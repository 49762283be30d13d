package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/bench/internal/wrk"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// target is one thing wrk drives.
type target struct {
	name string
	url  string
}

func run(o options) error {
	ctx := context.Background()
	fmt.Printf("load average at start: %s", harness.LoadAvg())
	dir, err := os.MkdirTemp("", "bench-frontdoor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := newProvider(dir)
	if err != nil {
		return err
	}
	groups := []group{{name: "stable", weight: 90, instances: o.stable}, {name: "canary", weight: 10, instances: o.canary}}
	defer stopProvider(p, groups)
	door, servers, err := startFrontDoor(ctx, p, groups)
	if err != nil {
		return err
	}
	hpAddr, err := freeAddr()
	if err != nil {
		return err
	}
	hpH2Addr, err := freeAddr()
	if err != nil {
		return err
	}
	hp, err := startHaproxy(dir, o.proxyCPUs, hpAddr, hpH2Addr, servers)
	if err != nil {
		return err
	}
	defer func() { _ = hp.Process.Kill(); _ = hp.Wait() }()
	if err := waitAnswers("http://"+hpAddr+"/", 10*time.Second); err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	out, _ := exec.Command("haproxy", "-v").Output()
	fmt.Printf("haproxy: %s", firstLine(out))
	fmt.Printf("backends: %d stable (90%%), %d canary (10%%); direct is %s\n", o.stable, o.canary, servers[0].id)
	targets := []target{{"direct", "http://" + servers[0].addr + "/"}, {"haproxy", "http://" + hpAddr + "/"}, {"frontdoor", "http://" + door + "/"}}

	for _, t := range targets { // warm up: connections, caches, the Go runtime
		if _, err := wrk.Run(o.loadCPUs, t.url, o.conns, 2*time.Second); err != nil {
			return err
		}
	}
	backendPIDs := make([]int, len(servers))
	for i, s := range servers {
		backendPIDs[i] = s.pid
	}
	doorPID, err := frontDoorPID()
	if err != nil {
		return err
	}
	// proxyCPU is the CPU time of what serves t (besides the backends):
	// haproxy, or the front-door process. The provider in this process is
	// the control plane, idle during the runs of all three targets.
	proxyCPU := func(t target) float64 {
		switch t.name {
		case "haproxy":
			return treeCPU(hp.Process.Pid)
		case "frontdoor":
			return treeCPU(doorPID)
		}
		return 0
	}
	rps, p99 := map[string][]float64{}, map[string][]float64{}
	proxyUS, backendUS := map[string][]float64{}, map[string][]float64{}
	var vsHaproxy, vsDirect []float64
	split := map[string]map[string]int{}
	for r := range o.rounds {
		res := map[string]wrk.Result{}
		for i := range targets {
			t := targets[(i+r)%len(targets)] // rotate the order each round
			before, err := counts(servers)
			if err != nil {
				return err
			}
			proxy0, backend0 := proxyCPU(t), cpuSeconds(backendPIDs)
			w, err := wrk.Run(o.loadCPUs, t.url, o.conns, o.d)
			if err != nil {
				return err
			}
			n := w.RPS * o.d.Seconds()
			proxyUS[t.name] = append(proxyUS[t.name], (proxyCPU(t)-proxy0)*1e6/n)
			backendUS[t.name] = append(backendUS[t.name], (cpuSeconds(backendPIDs)-backend0)*1e6/n)
			after, err := counts(servers)
			if err != nil {
				return err
			}
			if split[t.name] == nil {
				split[t.name] = map[string]int{}
			}
			for id, n := range after {
				split[t.name][id] += n - before[id]
			}
			res[t.name] = w
			rps[t.name] = append(rps[t.name], w.RPS)
			p99[t.name] = append(p99[t.name], ms(w.P99))
		}
		vsHaproxy = append(vsHaproxy, res["frontdoor"].RPS/res["haproxy"].RPS)
		vsDirect = append(vsDirect, res["frontdoor"].RPS/res["direct"].RPS)
		fmt.Printf("round %d:", r+1)
		for _, t := range targets {
			fmt.Printf(" %s %.0f req/s p99 %.2f ms |", t.name, res[t.name].RPS, ms(res[t.name].P99))
		}
		fmt.Printf(" frontdoor/haproxy %.3f frontdoor/direct %.3f | CPU µs/request haproxy %.1f frontdoor %.1f | load %s\n",
			vsHaproxy[r], vsDirect[r], proxyUS["haproxy"][r], proxyUS["frontdoor"][r], harness.Load1())
	}
	fmt.Printf("median of %d rounds:", o.rounds)
	for _, t := range targets {
		fmt.Printf(" %s %.0f req/s p99 %.2f ms |", t.name, median(rps[t.name]), median(p99[t.name]))
	}
	fmt.Printf(" frontdoor/haproxy %.3f frontdoor/direct %.3f\n", median(vsHaproxy), median(vsDirect))
	fmt.Printf("CPU per request (median; /proc, 10 ms ticks):")
	for _, t := range targets {
		fmt.Printf(" %s: proxy %.1f µs, backends %.1f µs |", t.name, median(proxyUS[t.name]), median(backendUS[t.name]))
	}
	fmt.Printf(" frontdoor/haproxy %.2f\n", median(proxyUS["frontdoor"])/median(proxyUS["haproxy"]))
	for _, t := range targets[1:] {
		fmt.Printf("split under wrk, %s: %s\n", t.name, shares(split[t.name]))
	}

	if err := fixedRate(o, targets); err != nil {
		return err
	}
	h2 := []target{{"haproxy", "http://" + hpH2Addr + "/"}, {"frontdoor", "http://" + door + "/"}}
	if err := http2Rounds(o, h2, proxyCPU); err != nil {
		return err
	}
	fmt.Printf("load average at end: %s", harness.LoadAvg())
	return nil
}

// fixedRate sends o.rate req/s to each target in o.rateRounds interleaved
// rounds and prints each one's p99, the p99 it adds to direct's in the same
// round, their medians, and the split by X-Backend.
func fixedRate(o options, targets []target) error {
	added := map[string][]float64{}
	split := map[string]map[string]int{}
	for r := range o.rateRounds {
		p99 := map[string]time.Duration{}
		fmt.Printf("fixed %d req/s for %s, round %d:", o.rate, o.rateD, r+1)
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			rr, err := runRateClient(o, t.url)
			if err != nil {
				return fmt.Errorf("%s at %d req/s: %w", t.name, o.rate, err)
			}
			p99[t.name] = rr.P99
			if split[t.name] == nil {
				split[t.name] = map[string]int{}
			}
			for id, n := range rr.Backends {
				split[t.name][id] += n
			}
			behind := ""
			if want := int(float64(o.rate) * o.rateD.Seconds()); rr.Sent < want*95/100 {
				behind = fmt.Sprintf(" (the client sent only %d of %d: it was starved)", rr.Sent, want)
			}
			if rr.Failed > 0 {
				behind += fmt.Sprintf(" (%d failed)", rr.Failed)
			}
			fmt.Printf(" %s p99 %.2f ms%s |", t.name, ms(rr.P99), behind)
		}
		for _, t := range targets[1:] {
			added[t.name] = append(added[t.name], ms(p99[t.name]-p99["direct"]))
			fmt.Printf(" %s adds %+.2f ms", t.name, ms(p99[t.name]-p99["direct"]))
		}
		fmt.Printf(" | load %s\n", harness.Load1())
	}
	for _, t := range targets[1:] {
		fmt.Printf("fixed rate, %s: added p99 median %+.2f ms; split %s\n", t.name, median(added[t.name]), shares(split[t.name]))
	}
	return nil
}

// runRateClient runs this program as the fixed-rate client, on the load core.
func runRateClient(o options, url string) (rateResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return rateResult{}, err
	}
	cmd := exec.Command("taskset", "-c", o.loadCPUs, exe, "-rate-url", url, "-rate", strconv.Itoa(o.rate), "-c", strconv.Itoa(o.conns), "-rate-d", o.rateD.String())
	cmd.Env = os.Environ()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return rateResult{}, err
	}
	var rr rateResult
	return rr, json.Unmarshal(out, &rr)
}

// counts asks every backend how many requests it has served.
func counts(servers []server) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range servers {
		resp, err := http.Get("http://" + s.addr + "/count")
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		n, err := strconv.Atoi(string(b))
		if err != nil {
			return nil, fmt.Errorf("backend %s answered /count with %q", s.id, b)
		}
		out[s.id] = n
	}
	return out, nil
}

// shares prints the answers per backend and their percentages.
func shares(by map[string]int) string {
	total := 0
	ids := make([]string, 0, len(by))
	for id, n := range by {
		total += n
		ids = append(ids, id)
	}
	slices.Sort(ids)
	slices.Reverse(ids) // stable-… before canary-…
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s %d (%.3f%%)", id, by[id], 100*float64(by[id])/float64(max(total, 1))))
	}
	return strings.Join(parts, ", ")
}

func stopProvider(p *local.Provider, groups []group) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, g := range groups {
		_ = p.Destroy(ctx, local.GroupRef{Environment: benchEnv, Name: g.name})
	}
	_ = p.Shutdown(ctx)
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitAnswers polls url until it answers 200.
func waitAnswers(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer after %s: %w", url, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s + "\n"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
