package source

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Prometheus runs range queries against a Prometheus server's HTTP API.
// Every value of every series the query returns is a sample, so a query
// should aggregate to one series per server group (sum by, rate, ...).
type Prometheus struct {
	api      promv1.API
	address  string
	attempts int
	timeout  time.Duration
}

var _ Source = (*Prometheus)(nil)

// NewPrometheus returns a source for the server at address (e.g. http://127.0.0.1:9090).
func NewPrometheus(address string) (*Prometheus, error) {
	c, err := api.NewClient(api.Config{Address: address})
	if err != nil {
		return nil, fmt.Errorf("prometheus source %q: %w: give an address such as http://127.0.0.1:9090", address, err)
	}
	return &Prometheus{api: promv1.NewAPI(c), address: address, attempts: 3, timeout: 10 * time.Second}, nil
}

// Fetch implements Source: it renders the query template for the scope and
// runs it over [Start, End] at Step resolution, retrying transient failures.
func (p *Prometheus) Fetch(ctx context.Context, tmpl string, s Scope) (Fetched, error) {
	q := Render(tmpl, s)
	out := Fetched{Query: q}
	var val model.Value
	err := retry(ctx, p.attempts, func() error {
		qctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		v, _, _, err := p.api.QueryRange(qctx, q, promv1.Range{Start: s.Start, End: s.End, Step: s.step()})
		val = v
		return err
	})
	if err != nil {
		return out, fmt.Errorf("prometheus at %s: query %q: %w", p.address, q, err)
	}
	matrix, ok := val.(model.Matrix)
	if !ok {
		return out, fmt.Errorf("prometheus at %s: query %q returned a %s, want a range vector (matrix)", p.address, q, val.Type())
	}
	for _, series := range matrix {
		for _, pt := range series.Values {
			out.Samples = append(out.Samples, float64(pt.Value))
		}
	}
	for i, v := range out.Samples {
		if math.IsInf(v, 0) {
			out.Samples[i] = math.NaN()
		}
	}
	return out, nil
}
