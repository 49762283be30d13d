package local

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// seriesSeconds is how much per-second history each server group keeps at a
// front door: enough for any canary analysis interval.
const seriesSeconds = 900

// secondSlot is one second of one server group's traffic.
type secondSlot struct {
	sec      atomic.Int64 // Unix second this slot holds; another value means stale
	requests atomic.Uint64
	errors   atomic.Uint64
	sumNS    atomic.Uint64
	buckets  []atomic.Uint64 // per bucket; last is +Inf
}

// series is a ring of per-second slots. Adding takes no lock except when a
// slot rolls over to a new second.
type series struct {
	mu    sync.Mutex // only for rolling a slot over
	slots []secondSlot
}

func newSeries() *series {
	s := &series{slots: make([]secondSlot, seriesSeconds)}
	for i := range s.slots {
		s.slots[i].buckets = make([]atomic.Uint64, len(LatencyBounds)+1)
		s.slots[i].sec.Store(-1)
	}
	return s
}

func (s *series) add(now time.Time, code int, d time.Duration) {
	sec := now.Unix()
	slot := &s.slots[sec%seriesSeconds]
	if slot.sec.Load() != sec {
		s.mu.Lock()
		if slot.sec.Load() != sec {
			slot.requests.Store(0)
			slot.errors.Store(0)
			slot.sumNS.Store(0)
			for i := range slot.buckets {
				slot.buckets[i].Store(0)
			}
			slot.sec.Store(sec)
		}
		s.mu.Unlock()
	}
	slot.requests.Add(1)
	if code >= 500 && code <= 599 {
		slot.errors.Add(1)
	}
	slot.sumNS.Add(uint64(d))
	slot.buckets[sort.SearchFloat64s(LatencyBounds, d.Seconds())].Add(1)
}

// Second is one second of a server group's traffic through its front door.
type Second struct {
	Time     time.Time `json:"time"`
	Requests uint64    `json:"requests"`
	Errors   uint64    `json:"errors"`
	// SumSeconds is the total latency of the second's requests.
	SumSeconds float64 `json:"sumSeconds"`
	// Buckets counts requests per latency bucket (not cumulative), with
	// Bounds as upper bounds and a last +Inf bucket.
	Buckets []uint64  `json:"buckets"`
	Bounds  []float64 `json:"bounds"`
}

// read returns the complete seconds in [from, to), oldest first; seconds
// without traffic are omitted.
func (s *series) read(from, to time.Time) []Second {
	var out []Second
	for sec := from.Unix(); sec < to.Unix(); sec++ {
		slot := &s.slots[((sec%seriesSeconds)+seriesSeconds)%seriesSeconds]
		if slot.sec.Load() != sec {
			continue
		}
		sc := Second{Time: time.Unix(sec, 0).UTC(), Requests: slot.requests.Load(), Errors: slot.errors.Load(),
			SumSeconds: time.Duration(slot.sumNS.Load()).Seconds(), Bounds: LatencyBounds,
			Buckets: make([]uint64, len(slot.buckets))}
		for i := range slot.buckets {
			sc.Buckets[i] = slot.buckets[i].Load()
		}
		if sc.Requests > 0 {
			out = append(out, sc)
		}
	}
	return out
}

// Seconds returns the per-second traffic of a server group through the front
// door of app in env, for the complete seconds in [from, to): the samples a
// canary judge compares. Memory holds the last 15 minutes; with
// Config.Samples, the seconds stored before a restart (or older) are added.
func (p *Provider) Seconds(app, env, serverGroup string, from, to time.Time) []Second {
	if now := time.Now(); to.After(now) {
		to = now // the current second is not complete
	}
	var mem []Second
	p.mu.Lock()
	fd := p.frontDoors[fdKey(app, env)]
	p.mu.Unlock()
	if fd != nil {
		fd.mu.Lock()
		m := fd.metrics[serverGroup]
		fd.mu.Unlock()
		if m != nil {
			mem = m.series.read(from, to)
		}
	}
	if p.cfg.Samples == nil {
		return mem
	}
	return p.withStored(app, env, serverGroup, from, to, mem)
}
