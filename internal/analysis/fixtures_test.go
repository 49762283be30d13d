package analysis

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// bounds are the front door's bucket upper bounds in seconds.
var bounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// lat is n requests that took d each.
type lat struct {
	d time.Duration
	n uint64
}

// traffic builds one interval's counters: requests, of which errors were 5xx,
// with the given latencies (their counts should add up to requests).
func traffic(requests, errors uint64, lats ...lat) Counters {
	c := Counters{Requests: requests, Errors: errors, Bounds: bounds, Buckets: make([]uint64, len(bounds)+1)}
	for _, l := range lats {
		s := l.d.Seconds()
		i := 0
		for i < len(bounds) && s > bounds[i] {
			i++
		}
		c.Buckets[i] += l.n
		c.Sum += s * float64(l.n)
	}
	return c
}

func baseline(c Counters) Measurement { return Measure("app-v002", model.RoleBaseline, c) }
func canary(c Counters) Measurement   { return Measure("app-v003", model.RoleCanary, c) }

func ptr[T any](v T) *T { return &v }
