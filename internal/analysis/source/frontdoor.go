package source

import (
	"context"
	"fmt"
	"math"
	"time"

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
	// FrontDoorErrorRate is the share of 5xx answers in the second (0-1).
	FrontDoorErrorRate = "error_rate"
	// FrontDoorLatencyMean is the mean latency of the second, in seconds.
	FrontDoorLatencyMean = "latency_mean"
	// FrontDoorLatencyP95 is the 95th percentile latency of the second (histogram, interpolated).
	FrontDoorLatencyP95 = "latency_p95"
	// FrontDoorLatencyP99 is the 99th percentile latency of the second.
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
	for _, sec := range secs {
		var v float64
		switch metric {
		case FrontDoorErrorRate:
			v = float64(sec.Errors) / float64(sec.Requests)
		case FrontDoorLatencyMean:
			v = sec.SumSeconds / float64(sec.Requests)
		case FrontDoorLatencyP95:
			v = quantile(0.95, sec)
		case FrontDoorLatencyP99:
			v = quantile(0.99, sec)
		case FrontDoorRequests:
			v = float64(sec.Requests)
		default:
			return out, fmt.Errorf("front door metric %q does not exist: use one of %v", metric, FrontDoorMetrics)
		}
		out.Samples = append(out.Samples, v)
	}
	return out, nil
}

// quantile interpolates inside the per-bucket histogram of one second, like
// Prometheus' histogram_quantile; the +Inf bucket answers the last bound.
func quantile(q float64, sec local.Second) float64 {
	if sec.Requests == 0 {
		return math.NaN()
	}
	rank := q * float64(sec.Requests)
	var cum float64
	lower := 0.0
	for i, n := range sec.Buckets {
		if i >= len(sec.Bounds) {
			return sec.Bounds[len(sec.Bounds)-1]
		}
		upper := sec.Bounds[i]
		if n > 0 && cum+float64(n) >= rank {
			return lower + (upper-lower)*(rank-cum)/float64(n)
		}
		cum += float64(n)
		lower = upper
	}
	return sec.Bounds[len(sec.Bounds)-1]
}
