// Command webhook measures signed webhook deliveries end to end against a
// real server process: the time from sending a GitHub-style delivery
// (X-Hub-Signature-256) until the server answers that the execution was
// started (the answer comes after the execution's transaction committed),
// and whether a burst at a fixed rate is accepted without loss.
//
//	go run ./bench/webhook [-runs 3] [-latency 500] [-rate 1000] [-burst 5s] [-bin PATH]
//
// Each run starts a fresh server, applies one pipeline with a webhook
// trigger and measures two phases:
//   - latency: -latency deliveries sent one after another, each with a new
//     delivery ID (p50/p99 of the answer time; target p99 < 100 ms);
//   - burst: deliveries sent open-loop at -rate per second for -burst by
//     up to -senders concurrent senders, then every delivery replayed once
//     (a redelivery must start nothing), then the executions counted
//     through the API: started == accepted == distinct, replays == 0
//     new (target: 1,000 per second accepted without loss).
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

const (
	secretEnv = "GENNAKER_BENCH_HOOK_SECRET"
	secret    = "bench-secret-of-the-webhook"
	hook      = "ci"
	app       = "b"
	pipeline  = "hooked"
)

func main() {
	var (
		runs    = flag.Int("runs", 3, "runs, each on a fresh server; medians are reported")
		latN    = flag.Int("latency", 500, "deliveries of the latency phase, one at a time")
		rate    = flag.Int("rate", 1000, "deliveries per second of the burst phase")
		burst   = flag.Duration("burst", 5*time.Second, "length of the burst phase")
		senders = flag.Int("senders", 128, "concurrent senders of the burst phase at most")
		bin     = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		keep    = flag.Bool("keep", false, "keep the temp directory (data dirs and server logs)")
		others  = flag.Int("pipelines", 0, "other pipelines in the config (each with a webhook trigger on a hook of its own), to see what a delivery costs in a bigger config")
	)
	flag.Parse()
	check(os.Setenv(secretEnv, secret)) // the server process inherits it: the trigger's secretRef
	tmp, err := os.MkdirTemp("", "gennaker-bench-webhook-")
	check(err)
	if !*keep {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Fprintln(os.Stderr, "keeping", tmp)
	}
	path, err := harness.Binary(*bin, tmp)
	check(err)
	fmt.Printf("webhook benchmark: %d runs, latency %d sequential deliveries, burst %d/s for %s (%d senders), %d other pipelines, GOMAXPROCS/NumCPU %d/%d, load %s\n",
		*runs, *latN, *rate, *burst, *senders, *others, runtime.GOMAXPROCS(0), runtime.NumCPU(), harness.LoadAvg())
	fmt.Printf("%-4s %9s %9s %9s | %9s %9s %9s %9s %8s %8s %9s\n", "run", "lat_p50", "lat_p99", "lat_max",
		"sent/s", "accepted", "started", "replays", "dupes", "lost", "burst_p99")
	var p50s, p99s, rates, bp99s []float64
	lossless := true
	for i := 1; i <= *runs; i++ {
		r, err := run(tmp, path, *latN, *rate, *burst, *senders, *others)
		check(err)
		fmt.Printf("%-4d %7.2fms %7.2fms %7.2fms | %9.0f %9d %9d %9d %8d %8d %7.1fms\n", i, ms(r.lat50), ms(r.lat99), ms(r.latMax),
			r.sentRate, r.accepted, r.started, r.replays, r.replayStarted, r.lost, ms(r.burst99))
		p50s, p99s = append(p50s, ms(r.lat50)), append(p99s, ms(r.lat99))
		rates, bp99s = append(rates, r.sentRate), append(bp99s, ms(r.burst99))
		lossless = lossless && r.lost == 0 && r.replayStarted == 0 && r.failed == 0
	}
	fmt.Printf("median latency p50 %.2f ms, p99 %.2f ms (target p99 < 100 ms); burst %.0f/s sent, p99 %.1f ms; lossless in every run: %v\n",
		harness.Median(p50s), harness.Median(p99s), harness.Median(rates), harness.Median(bp99s), lossless)
}

type result struct {
	lat50, lat99, latMax, burst99 time.Duration
	sentRate                      float64
	accepted, failed, started     int
	replays, replayStarted, lost  int
}

func run(tmp, bin string, latN, rate int, burst time.Duration, senders, others int) (result, error) {
	var r result
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := harness.Start(harness.Options{Bin: bin, TempDir: tmp})
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
	admin := &http.Client{Transport: harness.Authorized{Token: token, Base: http.DefaultTransport}, Timeout: time.Minute}
	if err := harness.Post(ctx, admin, srv.URL+"/api/v1/config", config(others), nil); err != nil {
		return r, fmt.Errorf("applying config: %w", err)
	}
	// Webhook senders carry no token: the signature is their credential.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}, Timeout: time.Minute}
	url := srv.URL + "/api/v1/hooks/" + hook

	// Latency: one delivery at a time.
	var lat []time.Duration
	for i := range latN {
		d, id, err := deliver(ctx, hc, url, fmt.Sprintf("lat-%d", i))
		if err != nil {
			return r, err
		}
		if id == "" {
			return r, fmt.Errorf("delivery lat-%d started nothing", i)
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	r.lat50, r.lat99, r.latMax = pct(lat, 0.50), pct(lat, 0.99), lat[len(lat)-1]

	// Burst: open loop at rate per second.
	n := int(float64(rate) * burst.Seconds())
	var (
		mu    sync.Mutex
		blat  []time.Duration
		execs = map[string]bool{}
		sem   = make(chan struct{}, senders)
		wg    sync.WaitGroup
		fails atomic.Int64
	)
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, id, err := deliver(ctx, hc, url, fmt.Sprintf("burst-%d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil || id == "" {
				if fails.Add(1) <= 3 {
					fmt.Fprintln(os.Stderr, "burst delivery failed:", err)
				}
				return
			}
			blat = append(blat, d)
			execs[id] = true
		}()
	}
	wg.Wait()
	r.sentRate = float64(n) / time.Since(start).Seconds()
	r.accepted, r.failed = len(blat), int(fails.Load())
	slices.Sort(blat)
	if len(blat) > 0 {
		r.burst99 = pct(blat, 0.99)
	}
	// Replays: every delivery again; each must answer with the execution
	// it started the first time.
	for i := range n {
		_, id, err := deliver(ctx, hc, url, fmt.Sprintf("burst-%d", i))
		if err != nil {
			return r, fmt.Errorf("replaying burst-%d: %w", i, err)
		}
		r.replays++
		if id != "" && !execs[id] {
			r.replayStarted++
		}
	}
	started, err := countExecutions(ctx, admin, srv.URL)
	if err != nil {
		return r, err
	}
	r.started = started - latN
	r.lost = len(execs) - r.started
	if r.started > len(execs) {
		r.replayStarted += r.started - len(execs)
	}
	if len(execs) != r.accepted {
		return r, fmt.Errorf("%d accepted deliveries answered with %d distinct executions", r.accepted, len(execs))
	}
	return r, nil
}

// deliver sends one signed delivery and returns how long the answer took
// and the execution it names ("" when it started or named none).
func deliver(ctx context.Context, c *http.Client, url, delivery string) (time.Duration, string, error) {
	body, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "after": fmt.Sprintf("%040x", sha256.Sum256([]byte(delivery)))[:40],
		"repository": map[string]any{"full_name": "acme/cart"},
	})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	d := time.Since(t0)
	if err != nil {
		return d, "", err
	}
	if resp.StatusCode/100 != 2 {
		return d, "", fmt.Errorf("delivery %s: %s: %s", delivery, resp.Status, bytes.TrimSpace(b))
	}
	return d, executionOf(b), nil
}

// executionOf finds the executionId of the first trigger in a hook's answer.
func executionOf(b []byte) string {
	var a struct {
		Triggers []struct {
			ExecutionID string `json:"executionId"`
		} `json:"triggers"`
	}
	if json.Unmarshal(b, &a) != nil || len(a.Triggers) == 0 {
		return ""
	}
	return a.Triggers[0].ExecutionID
}

// countExecutions pages through the pipeline's executions.
func countExecutions(ctx context.Context, c *http.Client, base string) (int, error) {
	n, next := 0, "/api/v1/executions?pipeline="+pipeline+"&limit=500"
	for next != "" {
		var page []json.RawMessage
		var err error
		if next, err = harness.GetPage(ctx, c, base+next, &page); err != nil {
			return n, err
		}
		n += len(page)
	}
	return n, nil
}

// config is the benchmark's application and pipeline, and others more
// pipelines with webhook triggers on hooks of their own.
func config(others int) []byte {
	pl := func(name, hook string) map[string]any {
		return map[string]any{
			"name": name, "application": app,
			"stages": []any{map[string]any{"name": "s1", "noop": map[string]any{}}},
			"triggers": []any{map[string]any{
				"name": "push",
				"webhook": map[string]any{"hook": hook, "provider": "github",
					"secret": map[string]any{"secretRef": map[string]any{"env": secretEnv}}},
				"when": []string{`payload.ref == "refs/heads/main"`},
			}},
		}
	}
	pipelines := []any{pl(pipeline, hook)}
	for i := range others {
		pipelines = append(pipelines, pl(fmt.Sprintf("%s-other-%d", pipeline, i), fmt.Sprintf("%s-other-%d", hook, i)))
	}
	b, err := json.Marshal(map[string]any{
		"applications": []any{map[string]any{
			"name": app, "run": map[string]any{"command": "/bin/true"},
			"healthCheck": map[string]any{"path": "/healthz"}, "instances": 1,
		}},
		"environments": []any{},
		"pipelines":    pipelines,
	})
	if err != nil {
		panic(err)
	}
	return b
}

func pct(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhook benchmark:", err)
		os.Exit(1)
	}
}
