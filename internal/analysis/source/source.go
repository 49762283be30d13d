// Package source fetches the samples a canary judge compares: per-second
// values of a metric for one server group over an interval, from the local
// front door, from Prometheus (range queries) or from an HTTP JSON endpoint.
//
// Sources are thin adapters: they render the query for a scope, fetch, and
// return the numbers with the query as sent, so the analysis record can show
// (and a replay can trust) exactly what was measured. A source that keeps
// failing returns an error; the caller records it and treats the interval as
// having no data for that metric, never as a pass.
package source

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
)

// Scope names what one fetch measures: one server group over one interval.
type Scope struct {
	Application string
	Environment string
	ServerGroup string
	Version     string
	// Role is "canary" or "baseline" (or "production" when a canary runs without a baseline).
	Role  string
	Start time.Time
	End   time.Time
	// Step is the resolution of range queries (default 1s).
	Step time.Duration
}

// Fetched is what a source returns: the samples and the query it ran.
type Fetched struct {
	Query   string    `json:"query"`
	Samples []float64 `json:"samples"`
	// Trials, when the source counts them, are the trials each sample is a
	// share of (the requests of each second of the front door's error_rate),
	// so the judge can test the counts (analysis.TestProportion).
	Trials []uint64 `json:"trials,omitempty"`
	// Latency, when the source has every request's latency (the front
	// door's latency_p95 and latency_p99), is the scope's requests in one
	// histogram, and Quantile the q its samples are per-second quantiles
	// of, so the judge can test the tail on the requests
	// (analysis.TestTail).
	Latency  *latency.Histogram `json:"latency,omitempty"`
	Quantile float64            `json:"quantile,omitempty"`
}

// Source fetches samples of one metric for one scope.
type Source interface {
	Fetch(ctx context.Context, query string, s Scope) (Fetched, error)
}

// Render expands the placeholders a query template may use: {{app}},
// {{env}}, {{serverGroup}}, {{version}}, {{role}}, and {{interval}} (the
// scope's length as a Prometheus duration, e.g. "30s").
func Render(tmpl string, s Scope) string {
	r := strings.NewReplacer(
		"{{app}}", s.Application,
		"{{env}}", s.Environment,
		"{{serverGroup}}", s.ServerGroup,
		"{{version}}", s.Version,
		"{{role}}", s.Role,
		"{{interval}}", promDuration(s.End.Sub(s.Start)),
	)
	return r.Replace(tmpl)
}

func promDuration(d time.Duration) string {
	if d <= 0 {
		return "1s"
	}
	return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
}

func (s Scope) step() time.Duration {
	if s.Step <= 0 {
		return time.Second
	}
	return s.Step
}

// retry calls fn up to attempts times with a short backoff while it fails.
func retry(ctx context.Context, attempts int, fn func() error) error {
	var err error
	delay := 200 * time.Millisecond
	for i := range attempts {
		if err = fn(); err == nil {
			return nil
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
	return err
}

// RenderObject renders the placeholders of every string in a free-form
// object (a job check's Job spec), keys excepted; obj is not changed. Values
// are rendered one by one, so a placeholder's value can never change the
// object's structure.
func RenderObject(obj map[string]any, s Scope) map[string]any {
	out, _ := renderValue(obj, s).(map[string]any)
	return out
}

func renderValue(v any, s Scope) any {
	switch x := v.(type) {
	case string:
		return Render(x, s)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = renderValue(e, s)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = renderValue(e, s)
		}
		return out
	}
	return v
}
