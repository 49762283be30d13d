package local

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkRecordLatency compares, in one run, what the proxy's hot path
// spends counting a request (groupMetrics.observe) now, with its per-second
// series in 584 fine buckets, and before issue 12, with 14 coarse buckets
// (coarseSeries, the series as it was). Latencies are log-normal around
// 20 ms; goroutines as GOMAXPROCS, all counting into one server group.
//
//	go test -run '^$' -bench RecordLatency -count 6 ./internal/provider/local
func BenchmarkRecordLatency(b *testing.B) {
	lat := make([]time.Duration, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range lat {
		lat[i] = time.Duration(20e6 * math.Exp(0.5*rng.NormFloat64()))
	}
	b.Run("before=coarse-14", func(b *testing.B) {
		m := newGroupMetrics()
		old := newCoarseSeries()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				observeBefore(m, old, 200, lat[i&4095])
				i++
			}
		})
	})
	b.Run("now=fine-584", func(b *testing.B) {
		m := newGroupMetrics()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				m.observe(200, lat[i&4095])
				i++
			}
		})
	})
}

// observeBefore is groupMetrics.observe as it was: the same cumulative
// counters, and the coarse per-second series.
func observeBefore(m *groupMetrics, s *coarseSeries, code int, d time.Duration) {
	m.byClass[code/100].Add(1)
	m.buckets[sort.SearchFloat64s(LatencyBounds, d.Seconds())].Add(1)
	m.sumNS.Add(uint64(d))
	s.add(time.Now(), code, d)
}

// coarseSeries is the per-second series before issue 12 (for the benchmark
// only): 900 dense slots of 14 buckets.
type coarseSeries struct {
	mu    sync.Mutex
	slots []coarseSlot
}

type coarseSlot struct {
	sec      atomic.Int64
	requests atomic.Uint64
	errors   atomic.Uint64
	sumNS    atomic.Uint64
	buckets  []atomic.Uint64
}

func newCoarseSeries() *coarseSeries {
	s := &coarseSeries{slots: make([]coarseSlot, seriesSeconds)}
	for i := range s.slots {
		s.slots[i].buckets = make([]atomic.Uint64, len(LatencyBounds)+1)
		s.slots[i].sec.Store(-1)
	}
	return s
}

func (s *coarseSeries) add(now time.Time, code int, d time.Duration) {
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

// BenchmarkSeriesMemory reports the bytes a server group's series holds
// after 15 minutes of traffic at 50 and at 2,000 requests/s (log-normal
// latencies around 20 ms).
func BenchmarkSeriesMemory(b *testing.B) {
	for _, rate := range []int{50, 2000} {
		b.Run("rps="+itoa(rate), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			base := time.Unix(1_800_000_000, 0)
			var s *series
			for range b.N {
				s = newSeries()
				for sec := range seriesSeconds + liveSeconds {
					for k := range rate {
						s.add(base.Add(time.Duration(sec)*time.Second+time.Duration(k)*time.Second/time.Duration(rate)), 200,
							time.Duration(20e6*math.Exp(0.5*rng.NormFloat64())))
					}
				}
			}
			bytes := int(unsafe.Sizeof(*s)) + len(s.ring)*int(unsafe.Sizeof(Second{}))
			for _, sc := range s.ring {
				bytes += cap(sc.Latency.Counts) * 8
			}
			b.ReportMetric(float64(bytes)/1024, "KiB/group")
			b.ReportMetric(float64(bytes)/seriesSeconds, "B/second")
			before := seriesSeconds * (int(unsafe.Sizeof(coarseSlot{})) + (len(LatencyBounds)+1)*8)
			b.ReportMetric(float64(before)/1024, "KiB/group-before")
		})
	}
}
