// Package latency is the front door's latency histogram: the bucket layout
// the local front door counts each second's request latencies in, and the
// quantiles the canary judge reads from those counts.
//
// The layout is log-spaced: bucket i holds latencies in (Bounds[i-1],
// Bounds[i]] with Bounds[i] = 100 µs × 1.02^i up to the first bound past
// 10 s, below it one bucket from 0 (everything up to 100 µs) and above it
// one +Inf bucket. A quantile interpolated inside a bucket (as Prometheus'
// histogram_quantile does) lies in the bucket of the exact order statistic,
// so between 100 µs and 10 s it is within 2% of the exact quantile of the
// recorded latencies, and a 10% shift always moves it. Seconds are kept
// sparse (only non-zero buckets), so the 584 buckets cost memory only where
// there is traffic.
package latency

import (
	"fmt"
	"math"
	"time"
)

const (
	// MinBound is the first bucket's upper bound, in seconds: 100 µs.
	MinBound = 100e-6
	// Growth is the ratio of neighbouring bounds: 2% per bucket.
	Growth = 1.02
	// NumBounds is how many finite bounds the layout has: MinBound ×
	// Growth^(NumBounds-1) is the first past 10 s (10.12 s).
	NumBounds = 583
	// NumBuckets is NumBounds plus the +Inf bucket.
	NumBuckets = NumBounds + 1
)

// Bounds are the layout's finite upper bounds in seconds, ascending.
var Bounds = fineBounds()

// CoarseBounds are the front door's bounds before the fine layout: its
// Prometheus histogram still uses them (13 buckets a series, not 584), and
// per-second samples stored with them (a plain JSON array of 14 counts)
// are still read with them.
var CoarseBounds = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

var lnGrowth = math.Log(Growth)

func fineBounds() []float64 {
	b := make([]float64, NumBounds)
	for i := range b {
		b[i] = MinBound * math.Pow(Growth, float64(i))
	}
	return b
}

// cellShift keeps a float64's exponent and its top 8 mantissa bits: cells
// 0.4% wide or less, narrower than a bucket, so a cell's first bucket is a
// latency's bucket or the one before it.
const cellShift = 52 - 8

var (
	cellBase = math.Float64bits(MinBound) >> cellShift
	cells    = fineCells() // a cell's first bucket, from MinBound's cell to the last bound's
)

func fineCells() []uint16 {
	last := math.Float64bits(Bounds[NumBounds-1]) >> cellShift
	out := make([]uint16, last-cellBase+1)
	for c := range out {
		out[c] = uint16(BucketOf(math.Float64frombits((cellBase + uint64(c)) << cellShift)))
	}
	return out
}

// Bucket is the index of the bucket a latency of d falls in: the first bound
// at or above it, NumBounds for the +Inf bucket. The proxy calls it for
// every request: a table lookup on the float's bits and at most one step
// (about 5 ns), where BucketOf takes a logarithm.
func Bucket(d time.Duration) int {
	s := d.Seconds()
	switch {
	case !(s > MinBound):
		return 0
	case s > Bounds[NumBounds-1]:
		return NumBounds
	}
	i := int(cells[math.Float64bits(s)>>cellShift-cellBase])
	for s > Bounds[i] {
		i++
	}
	return i
}

// BucketOf is the bucket of a latency in seconds (Bucket's reference).
func BucketOf(s float64) int {
	if !(s > MinBound) { // NaN too
		return 0
	}
	i := int(math.Ceil(math.Log(s/MinBound) / lnGrowth))
	i = min(max(i, 1), NumBounds)
	// The logarithm may round across a bound: settle on Bounds[i-1] < s <= Bounds[i].
	for i > 0 && s <= Bounds[i-1] {
		i--
	}
	for i < NumBounds && s > Bounds[i] {
		i++
	}
	return i
}

// Count is one non-zero bucket of a Histogram.
type Count struct {
	Index uint16 // bucket index in the histogram's layout
	N     uint32 // latencies counted in it
}

// Histogram is one second's latencies, sparse: the non-zero buckets of a
// layout in ascending order. The zero value is empty.
type Histogram struct {
	// Bounds is the layout (Bounds, or CoarseBounds for seconds stored
	// before the fine layout); a last +Inf bucket follows them.
	Bounds []float64
	Counts []Count
}

// String describes the histogram in a few words (not its 584 bounds).
func (h Histogram) String() string {
	layout := LayoutName
	if len(h.Bounds) != NumBounds {
		layout = fmt.Sprintf("%d bounds", len(h.Bounds))
	}
	return fmt.Sprintf("%d latencies in %d buckets (%s)", h.Total(), len(h.Counts), layout)
}

// Sparse turns dense per-bucket counts over bounds (len(bounds)+1 of them,
// the last for +Inf) into a Histogram.
func Sparse(bounds []float64, dense []uint64) Histogram {
	h := Histogram{Bounds: bounds}
	for i, n := range dense {
		if n > 0 {
			h.Counts = append(h.Counts, Count{Index: uint16(i), N: uint32(min(n, math.MaxUint32))})
		}
	}
	return h
}

// Dense is the histogram's per-bucket counts, len(Bounds)+1 of them.
func (h Histogram) Dense() []uint64 {
	out := make([]uint64, len(h.Bounds)+1)
	for _, c := range h.Counts {
		if int(c.Index) < len(out) {
			out[c.Index] += uint64(c.N)
		}
	}
	return out
}

// Total is how many latencies the histogram holds.
func (h Histogram) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += uint64(c.N)
	}
	return n
}

// Quantile estimates the q-quantile (0 < q <= 1) like Prometheus'
// histogram_quantile: the bucket holding rank q × total, interpolated
// linearly between its bounds (the first bucket's lower bound is 0); a rank
// in the +Inf bucket answers the last finite bound, the most the histogram
// can say. NaN for an empty histogram.
func (h Histogram) Quantile(q float64) float64 {
	total := h.Total()
	if total == 0 || len(h.Bounds) == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	var below float64
	for _, c := range h.Counts {
		i := int(c.Index)
		if i >= len(h.Bounds) {
			break
		}
		n := float64(c.N)
		if below+n >= rank {
			lower := 0.0
			if i > 0 {
				lower = h.Bounds[i-1]
			}
			return lower + (h.Bounds[i]-lower)*(rank-below)/n
		}
		below += n
	}
	return h.Bounds[len(h.Bounds)-1]
}

// Pool adds histograms of one layout into one: the latencies of several
// seconds together (an interval's requests). It reports false when the
// histograms have different layouts (seconds stored before the fine layout
// beside newer ones), whose buckets cannot be added; the zero Histogram
// then.
func Pool(hs []Histogram) (Histogram, bool) {
	var bounds []float64
	for _, h := range hs {
		if len(h.Counts) == 0 {
			continue
		}
		if bounds == nil {
			bounds = h.Bounds
		} else if len(h.Bounds) != len(bounds) {
			return Histogram{}, false
		}
	}
	if bounds == nil {
		return Histogram{}, len(hs) > 0
	}
	dense := make([]uint64, len(bounds)+1)
	for _, h := range hs {
		for _, c := range h.Counts {
			if int(c.Index) < len(dense) {
				dense[c.Index] += uint64(c.N)
			}
		}
	}
	return Sparse(bounds, dense), true
}
