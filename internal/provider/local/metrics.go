package local

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/latency"
)

// LatencyBounds are the upper bounds, in seconds, of the front door's
// cumulative latency buckets: its Prometheus histogram and the counters of
// the threshold judge (Snapshot). The per-second series the statistical
// judge reads counts latencies in the fine layout of package latency.
var LatencyBounds = latency.CoarseBounds

// Counters are cumulative front-door measurements of one server group.
// Subtract two snapshots (Sub) to get an interval.
type Counters struct {
	Requests uint64 `json:"requests"`
	// Errors counts 5xx answers, proxy errors (502) and no healthy instance (503) included.
	Errors uint64 `json:"errors"`
	// Bounds are the upper bounds in seconds; Buckets[i] counts requests that took
	// at most Bounds[i] (cumulative, as in Prometheus). Requests is the +Inf bucket.
	Bounds  []float64 `json:"bounds"`
	Buckets []uint64  `json:"buckets"`
	// Sum is the total latency in seconds.
	Sum float64 `json:"sum"`
}

// Sub returns the measurements made between prev and c.
func (c Counters) Sub(prev Counters) Counters {
	out := Counters{Requests: c.Requests - prev.Requests, Errors: c.Errors - prev.Errors,
		Bounds: c.Bounds, Buckets: make([]uint64, len(c.Buckets)), Sum: c.Sum - prev.Sum}
	for i := range c.Buckets {
		out.Buckets[i] = c.Buckets[i]
		if i < len(prev.Buckets) {
			out.Buckets[i] -= prev.Buckets[i]
		}
	}
	return out
}

// groupMetrics counts one server group's traffic through one front door,
// with atomics only: the proxy's hot path takes no lock.
type groupMetrics struct {
	byClass [6]atomic.Uint64 // index = status/100 (0 for anything odd)
	buckets []atomic.Uint64  // per bucket (not cumulative); last is +Inf
	sumNS   atomic.Uint64
	series  *series // per-second history, for canary analysis samples
}

func newGroupMetrics() *groupMetrics {
	return &groupMetrics{buckets: make([]atomic.Uint64, len(LatencyBounds)+1), series: newSeries()}
}

func (m *groupMetrics) observe(code int, d time.Duration) {
	class := code / 100
	if class < 1 || class > 5 {
		class = 0
	}
	m.byClass[class].Add(1)
	s := d.Seconds()
	i := sort.SearchFloat64s(LatencyBounds, s) // first bound >= s
	m.buckets[i].Add(1)
	m.sumNS.Add(uint64(d))
	m.series.add(time.Now(), code, d)
}

func (m *groupMetrics) snapshot() Counters {
	c := Counters{Bounds: LatencyBounds, Buckets: make([]uint64, len(LatencyBounds))}
	for i := range m.byClass {
		c.Requests += m.byClass[i].Load()
	}
	c.Errors = m.byClass[5].Load()
	var cum uint64
	for i := range LatencyBounds {
		cum += m.buckets[i].Load()
		c.Buckets[i] = cum
	}
	c.Sum = time.Duration(m.sumNS.Load()).Seconds()
	return c
}

// Snapshot returns the cumulative counters of every server group that has
// been routed through the front door of app in env, since its front-door
// process started: a restart of the server neither resets nor repeats them.
func (p *Provider) Snapshot(app, env string) map[string]Counters {
	out := map[string]Counters{}
	for name, r := range p.readings(app, env) {
		out[name] = r.Counters
	}
	return out
}

// readings asks env's front-door process for app's counters; none when it
// has no front-door process or does not answer.
func (p *Provider) readings(app, env string) map[string]groupReading {
	d := p.door(env)
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(p.ctx, doorCallTimeout)
	defer cancel()
	reply, err := d.call(ctx, func() doorRequest { return doorRequest{Op: opSnapshot, Application: app} })
	if err != nil {
		p.log.Warn("could not read the front door's counters", "application", app, "environment", env, "err", err)
		return nil
	}
	return reply.Counters
}

var classNames = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

var (
	requestsDesc = prometheus.NewDesc("gennaker_frontdoor_requests_total",
		"Requests through a front door, by server group and status code class.",
		[]string{"app", "env", "server_group", "code_class"}, nil)
	durationDesc = prometheus.NewDesc("gennaker_frontdoor_request_duration_seconds",
		"Time from a request's arrival at the front door to the end of its answer.",
		[]string{"app", "env", "server_group"}, nil)
)

// Collector exposes the front doors' counters to Prometheus.
func (p *Provider) Collector() prometheus.Collector { return collector{p} }

type collector struct{ p *Provider }

var _ prometheus.Collector = collector{}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- durationDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, d := range c.p.allDoors() {
		for _, app := range d.apps() {
			for name, r := range c.p.readings(app, d.env) {
				for class, n := range r.Classes {
					if n > 0 || class == 2 || class == 5 {
						ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(n), app, d.env, name, classNames[class])
					}
				}
				s := r.Counters
				buckets := make(map[float64]uint64, len(s.Bounds))
				for i, b := range s.Bounds {
					buckets[b] = s.Buckets[i]
				}
				ch <- prometheus.MustNewConstHistogram(durationDesc, s.Requests, s.Sum, buckets, app, d.env, name)
			}
		}
	}
}
