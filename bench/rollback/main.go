// Command rollback measures how quickly a rollback on the local target moves
// all traffic back to the previous server group while that group still runs
// (red/black with maxRemaining 1).
//
// It builds and starts a gennaker server, applies an application "svc" (the
// sample service, 2 instances) with a front door, deploys v1 and v2, then
// repeatedly: keeps one client in a tight keep-alive request loop against the
// front door, calls POST /api/v1/applications/svc/rollback, and measures
//
//   - traffic_ms: from the rollback call to the first of -consecutive
//     answers in a row from the previous version (with no other answer after);
//   - done_ms: from the rollback call to the rollback execution reporting
//     succeeded (polled every 5 ms).
//
// Then it deploys the next version (v3, v4, ...) and rolls back again, -n
// times. Target: traffic_ms < 1 s.
//
//	go run ./bench/rollback [-bin PATH] [-n 7] [-consecutive 50]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

func main() {
	var (
		bin         = flag.String("bin", "", "gennaker binary (default: go build ./cmd/gennaker into a temp dir)")
		n           = flag.Int("n", 7, "rollbacks to measure")
		consecutive = flag.Int("consecutive", 50, "answers in a row from the previous version that count as all traffic moved")
	)
	flag.Parse()
	if err := run(*bin, *n, *consecutive); err != nil {
		fmt.Fprintln(os.Stderr, "rollback benchmark:", err)
		os.Exit(1)
	}
}

func run(bin string, n, consecutive int) error {
	tmp, err := os.MkdirTemp("", "gennaker-bench-rollback-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path, err := harness.Binary(bin, tmp)
	if err != nil {
		return err
	}
	fmt.Printf("rollback benchmark: GOMAXPROCS/NumCPU %d/%d, binary %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), path)
	srv, err := harness.Start(harness.Options{Bin: path, TempDir: tmp, Extra: []string{"--destroy-on-exit"}})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping server:", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := srv.WaitHealthy(ctx, 10*time.Millisecond); err != nil {
		return err
	}
	front, err := harness.FreeAddr()
	if err != nil {
		return err
	}
	token, err := srv.Token()
	if err != nil {
		return err
	}
	api := &apiClient{base: srv.URL, c: &http.Client{Timeout: 30 * time.Second, Transport: harness.Authorized{Token: token}}}
	if err := api.post(ctx, "/api/v1/config", config(path, front), nil); err != nil {
		return fmt.Errorf("apply config: %w", err)
	}
	for _, v := range []string{"v1", "v2"} {
		if _, err := api.deploy(ctx, v); err != nil {
			return err
		}
	}

	loop := newLoop("http://" + front + "/")
	go loop.run(ctx)
	defer loop.stop()

	var traffic, done []float64
	for i := 1; i <= n; i++ {
		prev := "v1" // red/black keeps the group that served before the last deploy
		if i > 1 {
			if _, err := api.deploy(ctx, fmt.Sprintf("v%d", i+1)); err != nil {
				return err
			}
		}
		if err := loop.waitFor(ctx, fmt.Sprintf("v%d", i+1), consecutive); err != nil {
			return fmt.Errorf("before rollback %d: %w", i, err)
		}
		t0 := time.Now()
		var exec execution
		if err := api.post(ctx, "/api/v1/applications/svc/rollback", map[string]string{"environment": "local"}, &exec); err != nil {
			return fmt.Errorf("rollback %d: %w", i, err)
		}
		doneAt, err := api.wait(ctx, exec.ID, 5*time.Millisecond)
		if err != nil {
			return fmt.Errorf("rollback %d: %w", i, err)
		}
		if err := loop.waitFor(ctx, prev, consecutive); err != nil {
			return fmt.Errorf("rollback %d: %w", i, err)
		}
		moved, errs := loop.movedAt(t0, prev, consecutive)
		tr, dn := moved.Sub(t0), doneAt.Sub(t0)
		fmt.Printf("rollback %d: v%d -> %s: all traffic on %s after %.1f ms, execution succeeded after %.1f ms, %d non-200 answers\n",
			i, i+1, prev, prev, ms(tr), ms(dn), errs)
		traffic, done = append(traffic, tr.Seconds()), append(done, dn.Seconds())
	}
	fmt.Printf("traffic moved:       median %.1f ms, p90 %.1f ms, max %.1f ms (n=%d)\n", 1000*harness.Median(traffic), 1000*harness.P90(traffic), 1000*slices.Max(traffic), n)
	fmt.Printf("execution succeeded: median %.1f ms, p90 %.1f ms, max %.1f ms\n", 1000*harness.Median(done), 1000*harness.P90(done), 1000*slices.Max(done))
	verdict := "MET"
	if harness.Median(traffic) >= 1 || harness.P90(traffic) >= 1 {
		verdict = "MISSED"
	}
	fmt.Printf("target: all traffic on the previous server group in < 1 s: %s\n", verdict)
	return nil
}

func config(bin, front string) any {
	return map[string]any{
		"applications": []any{map[string]any{
			"name": "svc",
			"run":  map[string]any{"command": bin, "args": []string{"sample-service"}},
			"healthCheck": map[string]any{"path": "/healthz", "interval": "100ms", "timeout": "1s",
				"startupTimeout": "30s"},
			"instances": 2,
		}},
		"environments": []any{map[string]any{
			"name": "local", "target": map[string]any{"kind": "local"},
			"frontDoors": map[string]any{"svc": front},
		}},
		"pipelines": []any{map[string]any{
			"name": "rb", "application": "svc",
			"parameters": []any{map[string]any{"name": "version", "required": true}},
			"stages": []any{map[string]any{"name": "deploy", "deploy": map[string]any{
				"environment": "local", "strategy": map[string]any{"type": "red-black", "maxRemaining": 1}}}},
		}},
	}
}

// loop is one client in a closed request loop, remembering every answer.
type loop struct {
	url    string
	c      *http.Client
	mu     sync.Mutex
	log    []answer
	cancel context.CancelFunc
	ended  chan struct{}
}

type answer struct {
	at      time.Time // when the answer arrived
	version string    // "" for an error or a non-200 answer
}

func newLoop(url string) *loop {
	return &loop{url: url, ended: make(chan struct{}),
		c: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}}}
}

func (l *loop) run(ctx context.Context) {
	ctx, l.cancel = context.WithCancel(ctx)
	defer close(l.ended)
	for ctx.Err() == nil {
		v := ""
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
		if resp, err := l.c.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				v, _, _ = strings.Cut(strings.TrimPrefix(string(body), "version="), " ")
			}
		}
		l.mu.Lock()
		l.log = append(l.log, answer{at: time.Now(), version: v})
		l.mu.Unlock()
		if v == "" {
			time.Sleep(time.Millisecond) // do not spin on a closed port
		}
	}
}

func (l *loop) stop() {
	if l.cancel != nil {
		l.cancel()
		<-l.ended
	}
}

// waitFor waits until the last k answers all came from version.
func (l *loop) waitFor(ctx context.Context, version string, k int) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		ok := len(l.log) >= k
		for i := len(l.log) - k; ok && i < len(l.log); i++ {
			ok = l.log[i].version == version
		}
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return fmt.Errorf("front door did not answer %d times in a row from %s within 60s", k, version)
}

// movedAt returns when the final run of answers from version that started
// after t0 began, and how many non-200 answers arrived after t0.
func (l *loop) movedAt(t0 time.Time, version string, k int) (time.Time, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start, errs := -1, 0
	for i, a := range l.log {
		if a.at.Before(t0) {
			continue
		}
		if a.version == "" {
			errs++
		}
		if a.version != version {
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	if start < 0 {
		return time.Time{}, errs
	}
	return l.log[start].at, errs
}

type apiClient struct {
	base string
	c    *http.Client
}

type execution struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

func (a *apiClient) post(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return a.do(req, out)
}

func (a *apiClient) do(req *http.Request, out any) error {
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(body))
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// deploy runs pipeline rb with version and waits for it to succeed.
func (a *apiClient) deploy(ctx context.Context, version string) (time.Time, error) {
	var exec execution
	if err := a.post(ctx, "/api/v1/applications/svc/deploy",
		map[string]string{"environment": "local", "version": version, "pipeline": "rb"}, &exec); err != nil {
		return time.Time{}, fmt.Errorf("deploy %s: %w", version, err)
	}
	at, err := a.wait(ctx, exec.ID, 20*time.Millisecond)
	if err != nil {
		return at, fmt.Errorf("deploy %s: %w", version, err)
	}
	return at, nil
}

// wait polls execution id until it ends; it returns when it saw it succeed.
func (a *apiClient) wait(ctx context.Context, id string, every time.Duration) (time.Time, error) {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/api/v1/executions/"+id, nil)
		var exec execution
		if err := a.do(req, &exec); err != nil {
			return time.Time{}, err
		}
		switch exec.Status {
		case "succeeded":
			return time.Now(), nil
		case "running":
		default:
			return time.Time{}, fmt.Errorf("execution %s %s: %s", id, exec.Status, exec.Reason)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, errors.New("timed out waiting for execution " + id)
		case <-time.After(every):
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
