package local

import (
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
// been routed through the front door of app in env.
func (p *Provider) Snapshot(app, env string) map[string]Counters {
	p.mu.Lock()
	fd := p.frontDoors[fdKey(app, env)]
	p.mu.Unlock()
	out := map[string]Counters{}
	if fd == nil {
		return out
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	for name, m := range fd.metrics {
		out[name] = m.snapshot()
	}
	return out
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
	c.p.mu.Lock()
	fds := make([]*frontDoor, 0, len(c.p.frontDoors))
	for _, fd := range c.p.frontDoors {
		fds = append(fds, fd)
	}
	c.p.mu.Unlock()
	for _, fd := range fds {
		fd.mu.Lock()
		for name, m := range fd.metrics {
			for class := range m.byClass {
				if n := m.byClass[class].Load(); n > 0 || class == 2 || class == 5 {
					ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(n), fd.app, fd.env, name, classNames[class])
				}
			}
			s := m.snapshot()
			buckets := make(map[float64]uint64, len(s.Bounds))
			for i, b := range s.Bounds {
				buckets[b] = s.Buckets[i]
			}
			ch <- prometheus.MustNewConstHistogram(durationDesc, s.Requests, s.Sum, buckets, fd.app, fd.env, name)
		}
		fd.mu.Unlock()
	}
}
