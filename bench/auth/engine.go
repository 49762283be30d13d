package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
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
// (bench/engine's workload, harness.Workload). It then checks that none
// failed or was canceled.
func runEngine(ctx context.Context, hc *http.Client, base string, n, clients int, poll time.Duration) (engineResult, error) {
	r := engineResult{n: n}
	w, err := harness.Workload{Client: hc, Base: base, Pipeline: pipelineName, N: n, Clients: clients, Poll: poll}.Run(ctx)
	r.submit, r.total, r.polls = w.Submit, w.Total, w.Polls
	if err != nil {
		return r, err
	}
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
	return harness.Post(ctx, c, url, body, nil)
}

func get(ctx context.Context, c *http.Client, url string, out any) error {
	return harness.Get(ctx, c, url, out)
}
