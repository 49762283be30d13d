// Command uiload measures what an open browser tab on gennaker's
// applications page costs the local target's traffic: a team keeps the UI
// open while production traffic goes through the front doors.
//
// It starts `gennaker server` on a fresh embedded store, pinned (with the
// front-door process and the instances it starts) to -server-cpus; applies
// -apps applications × -envs local environments; deploys the sample service
// as application "web" (2 instances) behind a front door; starts one
// execution of a one-second pipeline every -churn, so the page has changes
// to follow; and drives the front door with wrk pinned to -load-cpus, in
// interleaved rounds without and with a headless Chromium tab (on
// -load-cpus too: the viewer's side) open on `/`. Per round it prints req/s
// and p99 with and without the tab, their ratio, how often the tab fetched
// the page again, and the server's CPU time; then the medians. Before the
// rounds it times the applications page itself (-page-requests GETs).
//
//	scripts/test-deps.sh    # chromium and test/ui's playwright-core, once
//	bench/frontdoor/deps.sh # wrk, once
//	go run ./bench/uiload [-apps 2000] [-envs 3] [-rounds 3] [-d 10s] [-c 64] [-churn 1s]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
	"github.com/gennaker/gennaker/bench/internal/wrk"
)

type options struct {
	apps, envs, rounds, conns, pageRequests int
	d, churn                                time.Duration
	loadCPUs, serverCPUs, bin               string
}

func main() {
	var o options
	flag.IntVar(&o.apps, "apps", 2000, "applications")
	flag.IntVar(&o.envs, "envs", 3, "local environments")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds, each without and with the tab")
	flag.DurationVar(&o.d, "d", 10*time.Second, "length of one wrk run (whole seconds)")
	flag.IntVar(&o.conns, "c", 64, "wrk connections")
	flag.IntVar(&o.pageRequests, "page-requests", 200, "GETs of the applications page timed before the rounds")
	flag.DurationVar(&o.churn, "churn", time.Second, "one execution started every this long, during the rounds")
	flag.StringVar(&o.loadCPUs, "load-cpus", "0", "cores of wrk and the browser (taskset -c)")
	flag.StringVar(&o.serverCPUs, "server-cpus", "1", "cores of the server, its front-door process and instances (taskset -c)")
	flag.StringVar(&o.bin, "bin", "", "gennaker binary (default: go build ./cmd/gennaker)")
	flag.Parse()
	if o.apps < 1 || o.envs < 1 || o.rounds < 1 || o.conns < 1 || o.pageRequests < 1 || o.churn <= 0 {
		fail(fmt.Errorf("-apps %d, -envs %d, -rounds %d, -c %d, -page-requests %d, -churn %s: give each at least 1",
			o.apps, o.envs, o.rounds, o.conns, o.pageRequests, o.churn))
	}
	if err := run(o); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "uiload:", err)
	os.Exit(1)
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tab, err := filepath.Abs(filepath.Join("bench", "uiload", "tab.cjs"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join("test", "ui", "node_modules", "playwright-core")); err != nil {
		return fmt.Errorf("test/ui's playwright-core is missing: run scripts/test-deps.sh from the repository's root")
	}
	tmp, err := os.MkdirTemp("", "gennaker-bench-uiload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := harness.Binary(o.bin, tmp)
	if err != nil {
		return err
	}
	srv, err := harness.Start(harness.Options{Bin: bin, TempDir: tmp, CPUs: o.serverCPUs, Extra: []string{"--destroy-on-exit"}})
	if err != nil {
		return err
	}
	defer srv.Stop()
	if _, err := srv.WaitHealthy(ctx, 50*time.Millisecond); err != nil {
		return err
	}
	token, err := srv.Token()
	if err != nil {
		return err
	}
	api := &http.Client{Timeout: 30 * time.Second, Transport: harness.Authorized{Token: token}}
	door, err := harness.FreeAddr()
	if err != nil {
		return err
	}
	fmt.Printf("load average at start: %s", harness.LoadAvg())
	start := time.Now()
	if err := applyConfig(ctx, api, srv.URL, bin, door, o); err != nil {
		return err
	}
	fmt.Printf("applied %d applications x %d environments in %s\n", o.apps, o.envs, time.Since(start).Round(time.Millisecond))
	if err := deploy(ctx, api, srv.URL); err != nil {
		return err
	}
	fmt.Printf("web v1 deployed behind the front door at %s\n", door)
	if err := timePage(ctx, api, srv.URL, o.pageRequests); err != nil {
		return err
	}

	go churn(ctx, api, srv.URL, o.churn)
	url := "http://" + door + "/"
	if _, err := wrk.Run(o.loadCPUs, url, o.conns, 2*time.Second); err != nil { // warm up
		return err
	}
	var without, with, ratios []float64
	for r := range o.rounds {
		res := map[bool]wrk.Result{}
		for i := range 2 {
			open := (i+r)%2 == 1 // alternate which goes first
			cpu0 := cpuSeconds(srv.Cmd.Process.Pid)
			w, fetches, err := measure(ctx, o, url, srv.URL, token, tab, open)
			if err != nil {
				return err
			}
			res[open] = w
			label := "no tab"
			if open {
				label = fmt.Sprintf("tab (%d page fetches)", fetches)
			}
			fmt.Printf("round %d, %s: %.0f req/s p99 %.2f ms, server CPU %.2f s | load %s\n",
				r+1, label, w.RPS, ms(w.P99), cpuSeconds(srv.Cmd.Process.Pid)-cpu0, harness.Load1())
		}
		without, with = append(without, res[false].RPS), append(with, res[true].RPS)
		ratios = append(ratios, res[true].RPS/res[false].RPS)
		fmt.Printf("round %d: with/without %.3f\n", r+1, ratios[r])
	}
	cancel() // the churn stops before the server does
	fmt.Printf("median of %d rounds: no tab %.0f req/s, tab %.0f req/s, with/without %.3f (the tab costs %.1f%% of the front door's throughput)\n",
		o.rounds, harness.Median(without), harness.Median(with), harness.Median(ratios), 100*(1-harness.Median(ratios)))
	fmt.Printf("load average at end: %s", harness.LoadAvg())
	return nil
}

// measure runs wrk against url, with a browser tab open on the UI when
// open, and returns what wrk measured and how often the tab fetched the
// page meanwhile.
func measure(ctx context.Context, o options, url, base, token, tab string, open bool) (wrk.Result, int, error) {
	if !open {
		w, err := wrk.Run(o.loadCPUs, url, o.conns, o.d)
		return w, 0, err
	}
	cmd := exec.CommandContext(ctx, "taskset", "-c", o.loadCPUs, "node", tab, base)
	cmd.Env = append(os.Environ(), "GENNAKER_TOKEN="+token)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return wrk.Result{}, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return wrk.Result{}, 0, err
	}
	if err := cmd.Start(); err != nil {
		return wrk.Result{}, 0, fmt.Errorf("start the browser tab (node): %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "ready" {
		return wrk.Result{}, 0, fmt.Errorf("the browser tab did not open the applications page: %q", out.Text())
	}
	time.Sleep(2 * time.Second) // the first render and its assets are not what is measured
	w, err := wrk.Run(o.loadCPUs, url, o.conns, o.d)
	_ = stdin.Close()
	if err != nil {
		return w, 0, err
	}
	fetches := 0
	if out.Scan() {
		f := strings.Fields(out.Text()) // fetches N errors M[: ...]
		if len(f) >= 4 && f[0] == "fetches" {
			fetches, _ = strconv.Atoi(f[1])
			if f[3] != "0" && f[3] != "0:" {
				return w, fetches, fmt.Errorf("the page had script errors: %s", out.Text())
			}
		}
	}
	return w, fetches, nil
}

// timePage GETs the applications page n times, one at a time, and prints
// p50 and p99.
func timePage(ctx context.Context, c *http.Client, base string, n int) error {
	var ds []float64
	for range n {
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET / answered %s", resp.Status)
		}
		ds = append(ds, float64(time.Since(t0).Microseconds())/1000)
	}
	slices.Sort(ds)
	fmt.Printf("applications page GET / over %d requests, one at a time: p50 %.1f ms p99 %.1f ms max %.1f ms\n",
		n, harness.Median(ds), ds[min(len(ds)-1, len(ds)*99/100)], ds[len(ds)-1])
	return nil
}

// churn starts one execution of the churn pipeline every d until ctx ends.
func churn(ctx context.Context, c *http.Client, base string, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := harness.Post(ctx, c, base+"/api/v1/pipelines/churn/executions", []byte(`{}`), nil); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "uiload: churn:", err)
		}
	}
}

func deploy(ctx context.Context, c *http.Client, base string) error {
	var e struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	body := []byte(`{"environment":"env-1","version":"v1","pipeline":"web-deploy"}`)
	if err := harness.Post(ctx, c, base+"/api/v1/applications/web/deploy", body, &e); err != nil {
		return fmt.Errorf("deploy web v1: %w", err)
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err := harness.Get(ctx, c, base+"/api/v1/executions/"+e.ID, &e); err != nil {
			return err
		}
		switch e.Status {
		case "succeeded":
			return nil
		case "failed", "canceled", "rolled_back":
			return fmt.Errorf("deploy web v1: %s: %s", e.Status, e.Reason)
		}
	}
	return errors.New("deploy web v1: not finished after 2 minutes")
}

// applyConfig stores the applications, environments and pipelines, in
// batches of 500 applications.
func applyConfig(ctx context.Context, c *http.Client, base, bin, door string, o options) error {
	app := func(name string) map[string]any {
		return map[string]any{"name": name, "team": "bench", "run": map[string]any{"command": bin, "args": []string{"sample-service"}},
			"healthCheck": map[string]any{"path": "/healthz", "interval": "500ms", "timeout": "1s", "startupTimeout": "30s"}, "instances": 2}
	}
	var envs []map[string]any
	for i := 1; i <= o.envs; i++ {
		env := map[string]any{"name": "env-" + strconv.Itoa(i), "target": map[string]any{"kind": "local"}}
		if i == 1 {
			env["frontDoors"] = map[string]string{"web": door}
		}
		envs = append(envs, env)
	}
	first := map[string]any{
		"applications": []map[string]any{app("web"), app("app-00001")},
		"environments": envs,
		"pipelines": []map[string]any{
			{"name": "web-deploy", "application": "web", "parameters": []map[string]any{{"name": "version", "required": true}},
				"stages": []map[string]any{{"name": "deploy", "deploy": map[string]any{"environment": "env-1", "strategy": map[string]any{"type": "highlander"}}}}},
			{"name": "churn", "application": "app-00001", "stages": []map[string]any{{"name": "soak", "wait": map[string]any{"duration": "1s"}}}},
		},
	}
	if err := post(ctx, c, base, first); err != nil {
		return err
	}
	for lo := 2; lo <= o.apps-1; lo += 500 {
		var apps []map[string]any
		for i := lo; i < min(lo+500, o.apps); i++ {
			apps = append(apps, app(fmt.Sprintf("app-%05d", i)))
		}
		if err := post(ctx, c, base, map[string]any{"applications": apps}); err != nil {
			return err
		}
	}
	return nil
}

func post(ctx context.Context, c *http.Client, base string, cfg map[string]any) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := harness.Post(ctx, c, base+"/api/v1/config", b, nil); err != nil {
		return fmt.Errorf("apply config: %w", err)
	}
	return nil
}

// cpuSeconds is the user+system time of pid so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100 // USER_HZ
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
