package source

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// FrontDoor reads the local front door's per-second traffic of a server
// group. Its "query" is one of the metric names below.
type FrontDoor struct {
	Seconds func(app, env, serverGroup string, from, to time.Time) []local.Second
}

var _ Source = FrontDoor{}

// Front-door metrics, one sample per second with traffic.
const (
	// FrontDoorErrorRate is the share of 5xx answers in the second (0-1),
	// with the second's requests as its trials: the judge tests the errors
	// and requests of the interval (analysis.TestProportion).
	FrontDoorErrorRate = "error_rate"
	// FrontDoorLatencyMean is the mean latency of the second, in seconds.
	FrontDoorLatencyMean = "latency_mean"
	// FrontDoorLatencyP95 is the 95th percentile latency of the second
	// (latency.Histogram.Quantile: within 2% of the exact one from 100 µs to
	// 10 s), with the interval's requests in one histogram: the judge tests
	// the share of requests above the pooled p95 (analysis.TestTail).
	FrontDoorLatencyP95 = "latency_p95"
	// FrontDoorLatencyP99 is the 99th percentile latency of the second,
	// with the interval's requests as for FrontDoorLatencyP95.
	FrontDoorLatencyP99 = "latency_p99"
	// FrontDoorRequests is the number of requests in the second.
	FrontDoorRequests = "requests"
)

// FrontDoorMetrics lists the metric names FrontDoor understands.
var FrontDoorMetrics = []string{FrontDoorErrorRate, FrontDoorLatencyMean, FrontDoorLatencyP95, FrontDoorLatencyP99, FrontDoorRequests}

// Fetch implements Source.
func (f FrontDoor) Fetch(_ context.Context, metric string, s Scope) (Fetched, error) {
	out := Fetched{Query: fmt.Sprintf("frontdoor %s{app=%q, env=%q, server_group=%q}[%s]", metric, s.Application, s.Environment, s.ServerGroup, promDuration(s.End.Sub(s.Start)))}
	if f.Seconds == nil {
		return out, fmt.Errorf("the front door metric source is not available here (it exists only for local targets): use a prometheus source")
	}
	secs := f.Seconds(s.Application, s.Environment, s.ServerGroup, s.Start, s.End)
	if q := frontDoorQuantile(metric); q > 0 {
		hs := make([]latency.Histogram, len(secs))
		for i, sec := range secs {
			hs[i] = sec.Latency
		}
		// Seconds of two layouts (stored before and after the fine one)
		// cannot be added: the judge then ranks the per-second quantiles.
		if h, ok := latency.Pool(hs); ok && len(h.Bounds) > 0 {
			out.Latency, out.Quantile = &h, q
		}
	}
	for _, sec := range secs {
		var v float64
		switch metric {
		case FrontDoorErrorRate:
			v = float64(sec.Errors) / float64(sec.Requests)
			out.Trials = append(out.Trials, sec.Requests)
		case FrontDoorLatencyMean:
			v = sec.SumSeconds / float64(sec.Requests)
		case FrontDoorLatencyP95:
			v = sec.Latency.Quantile(frontDoorQuantile(metric))
		case FrontDoorLatencyP99:
			v = sec.Latency.Quantile(frontDoorQuantile(metric))
		case FrontDoorRequests:
			v = float64(sec.Requests)
		default:
			return out, fmt.Errorf("front door metric %q does not exist: use one of %v", metric, FrontDoorMetrics)
		}
		out.Samples = append(out.Samples, v)
	}
	return out, nil
}

// frontDoorQuantile is the q of a quantile metric, 0 for the others.
func frontDoorQuantile(metric string) float64 {
	switch metric {
	case FrontDoorLatencyP95:
		return 0.95
	case FrontDoorLatencyP99:
		return 0.99
	}
	return 0
}
