package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// z99 is the standard normal 0.99 quantile: a log-normal's p99 is
// median × exp(z99 × sigma).
const z99 = 2.3263478740408408

// epoch is the simulated wall clock's second 0 (any whole second works: the
// front door keys its per-second slots by Unix second).
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// traffic is what one server group serves: Poisson arrivals at Rate per
// second, each request answering 5xx with probability ErrorRate, and a
// log-normal latency (ln latency ~ N(ln Median, Sigma)) whatever the status.
type traffic struct {
	Rate      float64 // requests per second
	ErrorRate float64 // share of 5xx answers, 0-1
	Median    float64 // latency median, seconds
	Sigma     float64 // log-normal shape
}

// p99 is the latency distribution's 99th percentile, seconds.
func (t traffic) p99() float64 { return t.Median * math.Exp(z99*t.Sigma) }

// mean is the latency distribution's mean, seconds.
func (t traffic) mean() float64 { return t.Median * math.Exp(t.Sigma*t.Sigma/2) }

// second is one second of one server group's traffic, counted the way the
// front door counts it (internal/provider/local): requests, 5xx answers,
// the latency sum in nanoseconds, the per-second series' buckets of the fine
// layout (latency.Bucket, kept sparse as the series keeps a second) and the
// cumulative counters' buckets over local.LatencyBounds with a last +Inf
// bucket.
type second struct {
	requests, errors, sumNS uint64
	fine                    []latency.Count // ascending index
	coarse                  []uint64
}

// stream is one server group's requests through the front door, generated
// in time order from its own random source, so the first n seconds are the
// same however far a run reads: every judge sees the same traffic.
type stream struct {
	t    traffic
	rng  *rand.Rand
	next float64  // arrival time of the next request, seconds since epoch
	secs []second // by the second the request completed in
}

func newStream(t traffic, seed, id uint64) *stream {
	s := &stream{t: t, rng: rand.New(rand.NewPCG(seed, id))}
	s.next = s.rng.ExpFloat64() / t.Rate
	return s
}

// fill generates requests until every second before end is complete: a
// request is counted in the second it completes (the front door records it
// after the answer), so all arrivals before end must be known.
func (s *stream) fill(end int) {
	for s.next < float64(end) {
		lat := s.t.Median * math.Exp(s.t.Sigma*s.rng.NormFloat64())
		isErr := s.rng.Float64() < s.t.ErrorRate
		s.add(s.next+lat, isErr, time.Duration(lat*1e9))
		s.next += s.rng.ExpFloat64() / s.t.Rate
	}
}

// add mirrors series.add and groupMetrics.observe of the local front door
// (unexported there): the bucket is the first bound >= the latency, in the
// fine layout (latency.Bucket) for the series and in local.LatencyBounds for
// the cumulative counters.
func (s *stream) add(done float64, isErr bool, d time.Duration) {
	sec := int(done)
	for len(s.secs) <= sec {
		s.secs = append(s.secs, second{coarse: make([]uint64, len(local.LatencyBounds)+1)})
	}
	c := &s.secs[sec]
	c.requests++
	if isErr {
		c.errors++
	}
	c.sumNS += uint64(d)
	c.coarse[sort.SearchFloat64s(local.LatencyBounds, d.Seconds())]++
	b := uint16(latency.Bucket(d))
	i := sort.Search(len(c.fine), func(i int) bool { return c.fine[i].Index >= b })
	if i < len(c.fine) && c.fine[i].Index == b {
		c.fine[i].N++
		return
	}
	c.fine = slices.Insert(c.fine, i, latency.Count{Index: b, N: 1})
}

// seconds mirrors series.read: the complete seconds in [from, to) as
// local.Second, oldest first; seconds without traffic are left out.
func (s *stream) seconds(from, to time.Time) []local.Second {
	lo, hi := int(from.Sub(epoch)/time.Second), int(to.Sub(epoch)/time.Second)
	s.fill(hi)
	var out []local.Second
	for i := max(lo, 0); i < hi && i < len(s.secs); i++ {
		c := s.secs[i]
		if c.requests == 0 {
			continue
		}
		out = append(out, local.Second{Time: epoch.Add(time.Duration(i) * time.Second), Requests: c.requests,
			Errors: c.errors, SumSeconds: time.Duration(c.sumNS).Seconds(),
			Latency: latency.Histogram{Bounds: latency.Bounds, Counts: c.fine}})
	}
	return out
}

// counters is the front door's cumulative snapshot at second at, already
// converted to per-bucket counts the way the local target's Counters does:
// what the threshold judge's analysis step reads at an interval's start and end.
func (s *stream) counters(at int) analysis.Counters {
	s.fill(at)
	c := analysis.Counters{Buckets: make([]uint64, len(local.LatencyBounds)+1), Bounds: local.LatencyBounds}
	var sumNS uint64
	for i := 0; i < at && i < len(s.secs); i++ {
		sec := s.secs[i]
		c.Requests += sec.requests
		c.Errors += sec.errors
		sumNS += sec.sumNS
		for b, n := range sec.coarse {
			c.Buckets[b] += n
		}
	}
	c.Sum = time.Duration(sumNS).Seconds()
	return c
}
