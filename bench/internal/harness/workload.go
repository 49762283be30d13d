package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The engine benchmark's config (EngineConfig): an application b and a
// pipeline noop5 of five no-op stages chained with needs.
const (
	EngineApp      = "b"
	EnginePipeline = "noop5"
	EngineStages   = 5
)

// EngineConfig is the engine benchmark's config, the body of POST
// /api/v1/config.
func EngineConfig() []byte {
	type stage struct {
		Name  string   `json:"name"`
		Needs []string `json:"needs,omitempty"`
		Noop  struct{} `json:"noop"`
	}
	var st []stage
	for i := 1; i <= EngineStages; i++ {
		s := stage{Name: fmt.Sprintf("s%d", i)}
		if i > 1 {
			s.Needs = []string{fmt.Sprintf("s%d", i-1)}
		}
		st = append(st, s)
	}
	b, err := json.Marshal(map[string]any{
		"applications": []any{map[string]any{
			"name": EngineApp, "run": map[string]any{"command": "/bin/true"},
			"healthCheck": map[string]any{"path": "/healthz"}, "instances": 1,
		}},
		"environments": []any{},
		"pipelines":    []any{map[string]any{"name": EnginePipeline, "application": EngineApp, "stages": st}},
	})
	if err != nil {
		panic(err) // maps, strings and slices always marshal
	}
	return b
}

// Workload is the engine benchmark's load: N executions of one pipeline
// (EnginePipeline in the benchmarks) started through the API by concurrent
// clients, then polled until none is running.
type Workload struct {
	Client *http.Client
	Base   string // the server's URL: the completion poll goes here
	// Starts, when set, are the URLs of several servers (replicas on one
	// database) the start requests are spread over, round-robin; empty:
	// all go to Base.
	Starts   []string
	Pipeline string
	N        int
	Clients  int
	// Poll is how often to ask whether executions still run.
	Poll time.Duration
}

// WorkloadResult is how long the workload took.
type WorkloadResult struct {
	// Submit is until the last start request was answered; Total until no
	// execution ran.
	Submit, Total time.Duration
	// Polls counts the status requests after the starts.
	Polls int
}

// Run starts the executions and waits until none is running.
func (w Workload) Run(ctx context.Context) (WorkloadResult, error) {
	var r WorkloadResult
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var next atomic.Int64
	starts := w.Starts
	if len(starts) == 0 {
		starts = []string{w.Base}
	}
	var wg sync.WaitGroup
	errs := make(chan error, w.Clients)
	for range w.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(w.N) {
					return
				}
				base := starts[int(i)%len(starts)]
				if err := Post(ctx, w.Client, base+"/api/v1/pipelines/"+w.Pipeline+"/executions", []byte("{}"), nil); err != nil {
					errs <- fmt.Errorf("starting an execution: %w", err)
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	r.Submit = time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return r, err
	}
	for {
		var running []json.RawMessage
		r.Polls++
		if err := Get(ctx, w.Client, w.Base+"/api/v1/executions?status=running&limit=1", &running); err != nil {
			return r, fmt.Errorf("polling: %w", err)
		}
		if len(running) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("executions still running: %w", ctx.Err())
		case <-time.After(w.Poll):
		}
	}
	r.Total = time.Since(start)
	return r, nil
}

// Post sends body as JSON and decodes a 2xx answer into out (nil: discard).
func Post(ctx context.Context, c *http.Client, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = do(c, req, out)
	return err
}

// Get decodes a 2xx JSON answer into out.
func Get(ctx context.Context, c *http.Client, url string, out any) error {
	_, err := GetPage(ctx, c, url, out)
	return err
}

// GetPage is Get that also returns the path of the next page, from the
// answer's `Link: <PATH>; rel="next"` header ("" on the last page).
func GetPage(ctx context.Context, c *http.Client, url string, out any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return "", err
	}
	h, err := do(c, req, out)
	link := h.Get("Link")
	if path, ok := strings.CutPrefix(link, "<"); ok && strings.HasSuffix(link, `>; rel="next"`) {
		return strings.TrimSuffix(path, `>; rel="next"`), err
	}
	return "", err
}

func do(c *http.Client, req *http.Request, out any) (http.Header, error) {
	resp, err := c.Do(req)
	if err != nil {
		return http.Header{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return resp.Header, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.Header, err
	}
	return resp.Header, json.NewDecoder(resp.Body).Decode(out)
}
