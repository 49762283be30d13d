package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/bench/internal/harness"
)

// The engine workload is bench/engine's (harness.EngineConfig and
// harness.Workload); here every batch runs on the same server.

// engineResult is one batch of executions.
type engineResult struct {
	n      int
	submit time.Duration // first start request until the last one answered
	total  time.Duration // first start request until none is running
	polls  int           // status requests sent after the last start
}

// runEngine starts n executions with clients concurrent clients and waits
// until none is running, polling every poll once all have been started
// (bench/engine's workload, harness.Workload). It then checks that none
// failed or was canceled.
func runEngine(ctx context.Context, hc *http.Client, base string, n, clients int, poll time.Duration) (engineResult, error) {
	r := engineResult{n: n}
	w, err := harness.Workload{Client: hc, Base: base, Pipeline: harness.EnginePipeline, N: n, Clients: clients, Poll: poll}.Run(ctx)
	r.submit, r.total, r.polls = w.Submit, w.Total, w.Polls
	if err != nil {
		return r, err
	}
	var bad []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := harness.Get(ctx, hc, base+"/api/v1/executions?status=failed,canceled&limit=5", &bad); err != nil {
		return r, fmt.Errorf("listing failed executions: %w", err)
	}
	if len(bad) > 0 {
		return r, fmt.Errorf("executions did not succeed, e.g. %s %s", bad[0].ID, bad[0].Status)
	}
	return r, nil
}
