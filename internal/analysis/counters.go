package analysis

import "slices"

// Counters are the raw, monotonically growing counters the front-door proxy
// keeps per server group since it started.
//
// The latency histogram is per bucket, not cumulative over buckets (unlike
// Prometheus' "le" buckets): Buckets[i] counts requests whose latency fell in
// (Bounds[i-1], Bounds[i]], with Bounds[-1] taken as 0. Buckets may have one
// more entry than Bounds, counting requests slower than the last bound (the
// +Inf bucket). Per-bucket counts make Diff a plain subtraction per bucket and
// cannot be non-monotonic across buckets.
type Counters struct {
	Requests uint64    `json:"requests"`
	Errors   uint64    `json:"errors"`  // responses with a 5xx status
	Buckets  []uint64  `json:"buckets"` // per-bucket counts; see the type doc
	Bounds   []float64 `json:"bounds"`  // bucket upper bounds in seconds, ascending
	Sum      float64   `json:"sum"`     // total latency in seconds
}

// Diff returns the counters of the interval between two readings: end - start.
// When any counter went down, or the buckets changed, the proxy restarted in
// between (a counter reset), and end alone is the best estimate of the
// interval: it counts what happened since the restart.
func Diff(end, start Counters) Counters {
	if reset(end, start) {
		return clone(end)
	}
	out := Counters{
		Requests: end.Requests - start.Requests,
		Errors:   end.Errors - start.Errors,
		Bounds:   slices.Clone(end.Bounds),
		Sum:      end.Sum - start.Sum,
		Buckets:  make([]uint64, len(end.Buckets)),
	}
	for i := range end.Buckets {
		out.Buckets[i] = end.Buckets[i] - start.Buckets[i]
	}
	return out
}

// reset reports whether the counters restarted between start and end.
func reset(end, start Counters) bool {
	if end.Requests < start.Requests || end.Errors < start.Errors || end.Sum < start.Sum ||
		len(end.Buckets) != len(start.Buckets) || !slices.Equal(end.Bounds, start.Bounds) {
		return true
	}
	for i := range end.Buckets {
		if end.Buckets[i] < start.Buckets[i] {
			return true
		}
	}
	return false
}

func clone(c Counters) Counters {
	c.Buckets = slices.Clone(c.Buckets)
	c.Bounds = slices.Clone(c.Bounds)
	return c
}
