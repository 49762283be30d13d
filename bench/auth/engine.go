package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The engine workload is bench/engine's: an application b and a pipeline
// noop5 of five no-op stages chained with needs, started N times by
// concurrent clients with POST /api/v1/pipelines/noop5/executions, timed
// until none is running. Here every batch runs on the same server.
const (
	appName      = "b"
	pipelineName = "noop5"
	stages       = 5
)

// engineResult is one batch of executions.
type engineResult struct {
	n      int
	submit time.Duration // first start request until the last one answered
	total  time.Duration // first start request until none is running
	polls  int           // status requests sent after the last start
}

func pipelineConfig() ([]byte, error) {
	type stage struct {
		Name  string   `json:"name"`
		Needs []string `json:"needs,omitempty"`
		Noop  struct{} `json:"noop"`
	}
	var st []stage
	for i := 1; i <= stages; i++ {
		s := stage{Name: fmt.Sprintf("s%d", i)}
		if i > 1 {
			s.Needs = []string{fmt.Sprintf("s%d", i-1)}
		}
		st = append(st, s)
	}
	return json.Marshal(map[string]any{
		"applications": []any{map[string]any{
			"name": appName, "run": map[string]any{"command": "/bin/true"},
			"healthCheck": map[string]any{"path": "/healthz"}, "instances": 1,
		}},
		"environments": []any{},
		"pipelines":    []any{map[string]any{"name": pipelineName, "application": appName, "stages": st}},
	})
}

// runEngine starts n executions with clients concurrent clients and waits
// until none is running, polling every poll once all have been started
// (as bench/engine does). It then checks that none failed or was canceled.
func runEngine(ctx context.Context, hc *http.Client, base string, n, clients int, poll time.Duration) (engineResult, error) {
	r := engineResult{n: n}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := post(ctx, hc, base+"/api/v1/pipelines/"+pipelineName+"/executions", []byte("{}")); err != nil {
					errs <- fmt.Errorf("starting an execution: %w", err)
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	r.submit = time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return r, err
	}
	for {
		var running []json.RawMessage
		r.polls++
		if err := get(ctx, hc, base+"/api/v1/executions?status=running&limit=1", &running); err != nil {
			return r, fmt.Errorf("polling: %w", err)
		}
		if len(running) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("executions still running: %w", ctx.Err())
		case <-time.After(poll):
		}
	}
	r.total = time.Since(start)
	var bad []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := get(ctx, hc, base+"/api/v1/executions?status=failed,canceled&limit=5", &bad); err != nil {
		return r, fmt.Errorf("listing failed executions: %w", err)
	}
	if len(bad) > 0 {
		return r, fmt.Errorf("executions did not succeed, e.g. %s %s", bad[0].ID, bad[0].Status)
	}
	return r, nil
}

func post(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(c, req, nil)
}

func get(ctx context.Context, c *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	return do(c, req, out)
}

func do(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
