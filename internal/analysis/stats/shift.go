package stats

import (
	"math"
	"slices"
)

// The Hodges-Lehmann estimate and its interval are order statistics of the
// n1·n2 pairwise differences x_i − y_j. Listing them all costs n1·n2 memory
// (8 TB at a million samples a side), so shifts selects the k-th smallest
// difference from the two sorted samples without listing them: a count of
// the differences at or below a value takes one pass of two pointers
// (O(n1+n2)), and a binary search over the float64 values themselves, in
// their bit order, finds the smallest value with at least k differences at or
// below it — which is exactly the k-th difference, in at most 64 counts. That
// is O((n1+n2)·64) per order statistic, the same answers as sorting every
// difference, with no memory beyond the sorted samples.

// shifts are the pairwise differences of two sorted samples.
type shifts struct {
	x, y []float64 // sorted ascending
}

// n is the number of pairwise differences.
func (s shifts) n() int { return len(s.x) * len(s.y) }

// diff is x − y, with two definitions where IEEE arithmetic has none or
// loses the order:
//
//   - equal values differ by 0, infinities included: +Inf − +Inf is 0 (two
//     values above a histogram's top bucket are tied, as the rank test sees
//     them), not NaN;
//   - a difference of two finite values beyond the float64 range is ±Inf
//     (IEEE rounding, which keeps the order of the differences).
//
// diff is non-decreasing in a and non-increasing in b, which the counting
// relies on.
func diff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return a - b
}

// min and max are the smallest and largest differences.
func (s shifts) min() float64 { return diff(s.x[0], s.y[len(s.y)-1]) }
func (s shifts) max() float64 { return diff(s.x[len(s.x)-1], s.y[0]) }

// atMost counts the differences <= v (strict: < v).
func (s shifts) atMost(v float64, strict bool) int {
	j, c := 0, 0
	for _, a := range s.x {
		// the differences of a with y[j:] are the ones at or below v
		for j < len(s.y) && (diff(a, s.y[j]) > v || (strict && diff(a, s.y[j]) == v)) {
			j++
		}
		c += len(s.y) - j
	}
	return c
}

// kth is the k-th smallest difference, 1 <= k <= n.
func (s shifts) kth(k int) float64 {
	lo, hi := orderedKey(s.min()), orderedKey(s.max())
	for lo < hi { // smallest key whose value has >= k differences at or below it
		mid := lo + (hi-lo)/2
		if s.atMost(fromOrderedKey(mid), false) >= k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	v := fromOrderedKey(lo)
	if v == 0 {
		return 0 // not -0, which sorts first in key order
	}
	return v
}

// median is the median of the differences as quantileSorted takes it (the
// mean of the two middle ones for an even count).
func (s shifts) median() float64 {
	n := s.n()
	if n%2 == 1 {
		return s.kth(n/2 + 1)
	}
	return lerp(s.kth(n/2), s.kth(n/2+1), 0.5)
}

// orderedKey maps float64 values (not NaN) to integers in the same order.
func orderedKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// uStat is the Mann-Whitney statistic of sorted x against sorted y (pairs
// with x > y, ties ½) and the tie term sum(t³ − t) over groups of t equal
// values of both samples, by one merge: the same numbers rank() gives on
// the concatenation.
func uStat(x, y []float64) (u, ties float64) {
	i, j, pos := 0, 0, 0
	r1 := 0.0
	for i < len(x) || j < len(y) {
		var v float64
		switch {
		case j == len(y) || (i < len(x) && x[i] <= y[j]):
			v = x[i]
		default:
			v = y[j]
		}
		a, b := 0, 0
		for i < len(x) && x[i] == v {
			i++
			a++
		}
		for j < len(y) && y[j] == v {
			j++
			b++
		}
		t := a + b
		mid := float64(2*pos+t+1) / 2 // average of ranks pos+1..pos+t
		r1 += float64(a) * mid
		ft := float64(t)
		ties += ft*ft*ft - ft
		pos += t
	}
	return r1 - float64(len(x))*float64(len(x)+1)/2, ties
}

// sortedCopy returns xs sorted, leaving xs as it was.
func sortedCopy(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// CLES is the common-language effect size of x over y: the share of pairs
// with x > y, ties counting half (U / (n1·n2)). It sorts copies of the
// samples: O((n1+n2) log(n1+n2)) whatever their sizes. NaN when either is empty.
func CLES(x, y []float64) float64 {
	if len(x) == 0 || len(y) == 0 {
		return math.NaN()
	}
	u, _ := uStat(sortedCopy(x), sortedCopy(y))
	return u / (float64(len(x)) * float64(len(y)))
}
