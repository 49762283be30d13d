package local

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
)

// seriesSeconds is how much per-second history each server group keeps at a
// front door: enough for any canary analysis interval.
const seriesSeconds = 900

// liveSeconds is how many of the latest seconds are counted in dense
// atomic slots; older seconds are kept sparse. A request is counted in the
// second it completes, so only a request whose count is delayed by more than
// liveSeconds-1 seconds could land in a slot reused for a newer second.
const liveSeconds = 4

// liveSlot counts one second of one server group's traffic with atomics:
// the proxy's hot path takes no lock.
type liveSlot struct {
	sec      atomic.Int64 // Unix second this slot holds; -1 before the first
	requests atomic.Uint64
	errors   atomic.Uint64
	sumNS    atomic.Uint64
	buckets  [latency.NumBuckets]atomic.Uint64 // per bucket of latency.Bounds; last is +Inf
}

// series is a server group's per-second traffic: the latest seconds in
// dense live slots, the older ones (up to seriesSeconds) in a ring of
// sparse Seconds. Adding takes no lock except when a live slot rolls over to
// a new second; then the second it held is made sparse (a few µs, once a
// second). Memory: 4 dense slots of 584 counters (19 KB), and per stored
// second 96 bytes plus 8 per non-zero bucket (see BenchmarkSeriesMemory).
type series struct {
	mu     sync.Mutex // rolling a live slot over; the ring; latest
	live   [liveSeconds]liveSlot
	ring   []Second // by Unix second % seriesSeconds; Requests 0 when empty
	latest int64    // the newest second counted; those seriesSeconds older are forgotten
}

func newSeries() *series {
	s := &series{ring: make([]Second, seriesSeconds)}
	for i := range s.live {
		s.live[i].sec.Store(-1)
	}
	return s
}

func (s *series) add(now time.Time, code int, d time.Duration) {
	sec := now.Unix()
	slot := &s.live[mod(sec, liveSeconds)]
	if slot.sec.Load() != sec {
		s.mu.Lock()
		if slot.sec.Load() != sec {
			s.retire(slot)
			slot.sec.Store(sec)
			s.latest = max(s.latest, sec)
		}
		s.mu.Unlock()
	}
	slot.requests.Add(1)
	if code >= 500 && code <= 599 {
		slot.errors.Add(1)
	}
	slot.sumNS.Add(uint64(d))
	slot.buckets[latency.Bucket(d)].Add(1)
}

// retire moves a live slot's second to the ring and clears the slot; s.mu
// is held.
func (s *series) retire(slot *liveSlot) {
	if old := slot.sec.Load(); old >= 0 {
		if sc := slot.second(old); sc.Requests > 0 {
			s.ring[mod(old, seriesSeconds)] = sc
		}
	}
	slot.requests.Store(0)
	slot.errors.Store(0)
	slot.sumNS.Store(0)
	for i := range slot.buckets {
		slot.buckets[i].Store(0)
	}
}

// second reads a live slot as a sparse Second.
func (slot *liveSlot) second(sec int64) Second {
	sc := Second{Time: time.Unix(sec, 0).UTC(), Requests: slot.requests.Load(), Errors: slot.errors.Load(),
		SumSeconds: time.Duration(slot.sumNS.Load()).Seconds(), Latency: latency.Histogram{Bounds: latency.Bounds}}
	var dense [latency.NumBuckets]uint64
	nonzero := 0
	for i := range slot.buckets {
		if dense[i] = slot.buckets[i].Load(); dense[i] > 0 {
			nonzero++
		}
	}
	sc.Latency.Counts = make([]latency.Count, 0, nonzero) // kept for 15 minutes: no spare capacity
	for i, n := range dense {
		if n > 0 {
			sc.Latency.Counts = append(sc.Latency.Counts, latency.Count{Index: uint16(i), N: uint32(n)})
		}
	}
	return sc
}

func mod(sec, n int64) int64 { return ((sec % n) + n) % n }

// Second is one second of a server group's traffic through its front door.
type Second struct {
	Time     time.Time `json:"time"`
	Requests uint64    `json:"requests"`
	Errors   uint64    `json:"errors"`
	// SumSeconds is the total latency of the second's requests.
	SumSeconds float64 `json:"sumSeconds"`
	// Latency counts the second's latencies per bucket (sparse; the fine
	// layout of package latency, or the coarse one for seconds stored
	// before it).
	Latency latency.Histogram `json:"latency"`
}

// read returns the complete seconds in [from, to), oldest first; seconds
// without traffic are omitted.
func (s *series) read(from, to time.Time) []Second {
	var out []Second
	s.mu.Lock()
	defer s.mu.Unlock()
	for sec := max(from.Unix(), s.latest-seriesSeconds+1); sec < to.Unix(); sec++ {
		if slot := &s.live[mod(sec, liveSeconds)]; slot.sec.Load() == sec {
			if sc := slot.second(sec); sc.Requests > 0 {
				out = append(out, sc)
			}
			continue
		}
		if sc := s.ring[mod(sec, seriesSeconds)]; sc.Requests > 0 && sc.Time.Unix() == sec {
			out = append(out, sc)
		}
	}
	return out
}

// Seconds returns the per-second traffic of a server group through the front
// door of app in env, for the complete seconds in [from, to): the samples a
// canary judge compares. The front-door process holds the last 15 minutes
// (across restarts of the server); with
// Config.Samples, the seconds stored before a restart (or older) are added.
func (p *Provider) Seconds(app, env, serverGroup string, from, to time.Time) []Second {
	if now := time.Now(); to.After(now) {
		to = now // the current second is not complete
	}
	mem := p.doorSeconds(app, env, serverGroup, from, to)[serverGroup]
	if p.cfg.Samples == nil {
		return mem
	}
	return p.withStored(app, env, serverGroup, from, to, mem)
}
