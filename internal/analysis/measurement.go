package analysis

import "github.com/gennaker/gennaker/internal/model"

// Measurement is what one server group did during one interval.
type Measurement struct {
	ServerGroup string                `json:"serverGroup"`
	Role        model.ServerGroupRole `json:"role"`
	Requests    uint64                `json:"requests"`
	Errors      uint64                `json:"errors"`
	// ErrorRate is Errors / Requests (0 without requests).
	ErrorRate float64 `json:"errorRate"`
	// Observations is how many latencies the histogram holds; 0 means the
	// latency quantiles below say nothing.
	Observations uint64 `json:"observations"`
	// P50, P95 and P99 are latency quantiles in seconds, interpolated inside
	// histogram buckets like Prometheus' histogram_quantile.
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	// MeanLatency is Sum / Observations in seconds.
	MeanLatency float64 `json:"meanLatency"`
}

// Measure turns one server group's interval counters (see Diff) into numbers.
func Measure(sg string, role model.ServerGroupRole, c Counters) Measurement {
	m := Measurement{ServerGroup: sg, Role: role, Requests: c.Requests, Errors: c.Errors}
	if c.Requests > 0 {
		m.ErrorRate = float64(c.Errors) / float64(c.Requests)
	}
	for _, n := range c.Buckets {
		m.Observations += n
	}
	if m.Observations > 0 && len(c.Bounds) > 0 {
		m.P50 = quantile(0.50, c.Buckets, c.Bounds)
		m.P95 = quantile(0.95, c.Buckets, c.Bounds)
		m.P99 = quantile(0.99, c.Buckets, c.Bounds)
		m.MeanLatency = c.Sum / float64(m.Observations)
	} else {
		m.Observations = 0
	}
	return m
}
