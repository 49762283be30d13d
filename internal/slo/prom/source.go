package prom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	pmodel "github.com/prometheus/common/model"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
)

// Options tune a Source; zero values take the defaults.
type Options struct {
	// Timeout bounds one query (default 30s: a 28-day increase is heavy).
	Timeout time.Duration
	// Attempts is how often a failing query is tried (default 3); a query
	// Prometheus rejects (bad_data) is not retried.
	Attempts int
	// MaxResponse caps a response body in bytes (default 1 MiB; the
	// expressions return one sample).
	MaxResponse int64
	// Transport carries the requests (default http.DefaultTransport).
	Transport http.RoundTripper
}

// Source counts SLIs with instant queries against the Prometheus each SLO
// names (MetricQuery.URL): the increase of its counters over the window
// for Occurrences, subqueries over time slices for Timeslices and
// RatioTimeslices, and for threshold SLIs (Timeslices only) the slices
// whose value satisfies the objective (promql.go). It keeps one client
// per URL.
type Source struct {
	opts    Options
	mu      sync.Mutex
	clients map[string]promv1.API
}

var _ slo.Source = (*Source)(nil)

// NewSource returns a Source.
func NewSource(opts Options) *Source {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = 1 << 20
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	return &Source{opts: opts, clients: map[string]promv1.API{}}
}

// Counts implements slo.Source: the SLI's counts over [from, to), queried
// at to over the window to-from.
func (p *Source) Counts(ctx context.Context, s model.SLO, o model.Objective, from, to time.Time) (slo.Counts, error) {
	w := to.Sub(from)
	if w < time.Millisecond {
		return slo.Counts{}, fmt.Errorf("SLO %s: window [%s, %s) is empty", s.Name, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if th := s.Indicator.Threshold; th != nil {
		if th.Source != model.SLOSourcePrometheus {
			return slo.Counts{}, fmt.Errorf("SLO %s: indicator.threshold is measured by %q, not Prometheus", s.Name, th.Source)
		}
		if s.Budgeting != model.BudgetTimeslices {
			return slo.Counts{}, fmt.Errorf("SLO %s: a threshold SLI is counted in time slices: set budgetingMethod: Timeslices (it is %q)", s.Name, s.Budgeting)
		}
		ts, err := ThresholdTimeslices(th.Query, o, w)
		if err != nil {
			return slo.Counts{}, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		return p.pair(ctx, s, th.URL, ts.Good, ts.Total, to, true)
	}
	in, err := RatioIndicator(s)
	if err != nil {
		return slo.Counts{}, err
	}
	url := s.Indicator.Total.URL
	switch s.Budgeting {
	case model.BudgetTimeslices, model.BudgetRatioTimeslices:
		ts, err := in.TimeslicesOver(s.Budgeting, o, w)
		if err != nil {
			return slo.Counts{}, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		return p.pair(ctx, s, url, ts.Good, ts.Total, to, true)
	}
	occ := in.OccurrencesOver(w)
	if in.HasGood {
		return p.pair(ctx, s, url, occ.Good, occ.Total, to, true)
	}
	return p.pair(ctx, s, url, occ.Bad, occ.Total, to, false)
}

// Rates returns the burn-rate function slo.EvaluateAlerts takes for one
// objective at now; a window that fails to count burns at 0 and its error
// is kept in *errp (the first one).
func (p *Source) Rates(ctx context.Context, s model.SLO, o model.Objective, now time.Time, errp *error) slo.Rates {
	return func(w time.Duration) float64 {
		c, err := p.Counts(ctx, s, o, now.Add(-w), now)
		if err != nil {
			if *errp == nil {
				*errp = err
			}
			return 0
		}
		return slo.BurnRate(o.Target, c)
	}
}

// pair runs the numerator (good, or bad when good is false) and the total.
func (p *Source) pair(ctx context.Context, s model.SLO, url, num, total string, at time.Time, good bool) (slo.Counts, error) {
	t, err := p.scalar(ctx, s, url, total, at)
	if err != nil {
		return slo.Counts{}, err
	}
	n, err := p.scalar(ctx, s, url, num, at)
	if err != nil {
		return slo.Counts{}, err
	}
	if good {
		return slo.Counts{Good: n, Total: t}, nil
	}
	return slo.Counts{Good: t - n, Total: t}, nil
}

// scalar runs an instant query at t that returns at most one sample; none
// counts 0 (no series, or fewer than two samples of each in the window).
func (p *Source) scalar(ctx context.Context, s model.SLO, url, q string, at time.Time) (float64, error) {
	api, err := p.client(url)
	if err != nil {
		return 0, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	var val pmodel.Value
	err = retry(ctx, p.opts.Attempts, func() error {
		qctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		defer cancel()
		v, _, _, err := api.Query(qctx, q, at, promv1.WithTimeout(p.opts.Timeout))
		val = v
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("SLO %s: prometheus at %s: query %q at %s: %w", s.Name, url, q, at.UTC().Format(time.RFC3339), err)
	}
	vec, ok := val.(pmodel.Vector)
	if !ok {
		return 0, fmt.Errorf("SLO %s: prometheus at %s: query %q returned a %s, want an instant vector", s.Name, url, q, val.Type())
	}
	switch len(vec) {
	case 0:
		return 0, nil
	case 1:
		v := float64(vec[0].Value)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, nil
		}
		return v, nil
	}
	return 0, fmt.Errorf("SLO %s: prometheus at %s: query %q returned %d series, want one (it is summed)", s.Name, url, q, len(vec))
}

// client returns the cached API client for a Prometheus URL.
func (p *Source) client(url string) (promv1.API, error) {
	if url == "" {
		return nil, errors.New("the indicator names no Prometheus URL: give the DataSource a url such as http://prometheus:9090")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[url]; ok {
		return c, nil
	}
	c, err := api.NewClient(api.Config{Address: url, RoundTripper: limitTransport{p.opts.Transport, p.opts.MaxResponse}})
	if err != nil {
		return nil, fmt.Errorf("prometheus %q: %w: give an address such as http://127.0.0.1:9090", url, err)
	}
	a := promv1.NewAPI(c)
	p.clients[url] = a
	return a, nil
}

// limitTransport fails a response whose body is longer than max bytes.
type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max bytes from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errors.New("the response is larger than the limit: aggregate the query")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// retry calls fn up to attempts times with a short backoff while it fails,
// except when Prometheus rejected the query itself.
func retry(ctx context.Context, attempts int, fn func() error) error {
	var err error
	delay := 200 * time.Millisecond
	for i := range attempts {
		if err = fn(); err == nil {
			return nil
		}
		var perr *promv1.Error
		if errors.As(err, &perr) && perr.Type == promv1.ErrBadData || i == attempts-1 {
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
