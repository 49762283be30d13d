package stats

import (
	"math"
	"slices"
)

// The judge's statistics before pairwise differences stopped being listed:
// O(n1·n2) memory and time. They are the reference the selection in
// shift.go is tested against (TestShiftMatchesReference), unchanged but
// for their names.

// refMannWhitney is MannWhitney as it was, for finite samples.
func refMannWhitney(x, y []float64, o Options) Result {
	n1, n2 := len(x), len(y)
	conf := o.ConfidenceLevel
	if conf == 0 {
		conf = DefaultConfidenceLevel
	}
	ranks, ties := refRank(slices.Concat(x, y))
	r1 := 0.0
	for _, r := range ranks[:n1] {
		r1 += r
	}
	res := Result{N1: n1, N2: n2, ConfidenceLevel: conf}
	res.U = r1 - float64(n1*(n1+1))/2
	res.CLES = res.U / float64(n1*n2)
	res.Exact = o.Method == Exact || (o.Method == Auto && n1 < ExactLimit && n2 < ExactLimit && ties == 0)

	diffs := refPairwiseDiffs(x, y)
	res.Estimate = refQuantileSorted(diffs, 0.5)
	if res.Exact {
		d := newExactU(n1, n2)
		res.P = d.pValue(res.U, o.Alternative)
		res.Low, res.High = refExactInterval(d, diffs, conf, o.Alternative)
		return res
	}
	res.Z, res.P = asymptoticP(res.U, n1, n2, ties, o.Alternative)
	res.Low, res.High = refAsymptoticInterval(x, y, diffs, conf, o.Alternative)
	return res
}

// refQuantileSorted is quantileSorted as it was (no guard against overflow).
func refQuantileSorted(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// refRank returns the mid-ranks (1-based, ties get their average rank) of xs and
// the tie term sum(t^3 - t) over groups of t equal values.
func refRank(xs []float64) (ranks []float64, ties float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	ranks = make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average of ranks i+1..j
		for k := i; k < j; k++ {
			ranks[idx[k]] = mid
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	return ranks, ties
}

// refPairwiseDiffs returns all x_i - y_j, sorted.
func refPairwiseDiffs(x, y []float64) []float64 {
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			d = append(d, a-b)
		}
	}
	slices.Sort(d)
	return d
}

// refExactInterval is R's exact confidence interval: order statistics of the
// sorted pairwise differences at the U critical values.
func refExactInterval(d exactU, diffs []float64, conf float64, alt Alternative) (lo, hi float64) {
	alpha := 1 - conf
	n := len(diffs)
	switch alt {
	case Greater:
		qu := max(1, d.quantile(alpha))
		return diffs[qu-1], math.Inf(1)
	case Less:
		qu := max(1, d.quantile(alpha))
		return math.Inf(-1), diffs[n-qu]
	}
	qu := max(1, d.quantile(alpha/2))
	return diffs[qu-1], diffs[n-qu]
}

// refAsymptoticInterval is R's wilcox.test confidence interval with the normal
// approximation (correct=TRUE): each bound is the shift d at which the
// continuity- and tie-corrected statistic of (x - d, y) crosses the normal
// quantile. R finds the crossing with uniroot(tol = 1e-4); the statistic is a
// step function of d that only jumps at pairwise differences, so we search
// the sorted distinct differences for the jump instead, which gives the
// difference R's root approximates (R's value is within its tolerance, 1e-4,
// of ours).
func refAsymptoticInterval(x, y, diffs []float64, conf float64, alt Alternative) (lo, hi float64) {
	alpha := 1 - conf
	distinct := slices.Compact(slices.Clone(diffs))
	if len(distinct) == 1 { // both samples constant: the shift is known
		return distinct[0], distinct[0]
	}
	switch alt {
	case Greater:
		return refRoot(x, y, distinct, -normQuantile(alpha), 0.5), math.Inf(1)
	case Less:
		return math.Inf(-1), refRoot(x, y, distinct, normQuantile(alpha), -0.5)
	}
	z := -normQuantile(alpha / 2)
	return refRoot(x, y, distinct, z, 0), refRoot(x, y, distinct, -z, 0)
}

// refRoot finds where wdiff(d) - zq changes sign over d in [distinct[0],
// distinct[last]], as R's root() does; correction 0 means two-sided (the
// sign of the statistic), otherwise the one-sided continuity correction.
func refRoot(x, y, distinct []float64, zq, correction float64) float64 {
	f := func(d float64) float64 { return refWdiff(x, y, d, correction) - zq }
	first, last := distinct[0], distinct[len(distinct)-1]
	if f(first) <= 0 {
		return first
	}
	if f(last) >= 0 {
		return last
	}
	// f is non-increasing; on each open interval between neighbouring
	// differences it is constant. Find the first interval where it is <= 0:
	// the jump is at its left end.
	lo, hi := 0, len(distinct)-1 // intervals 0..len-2; hi means "none"
	for lo < hi {
		mid := (lo + hi) / 2
		if f((distinct[mid]+distinct[mid+1])/2) <= 0 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return distinct[lo]
}

// refWdiff is the standardized, continuity-corrected U statistic of (x - d, y)
// with the tie correction of the shifted samples (R's wdiff without zq).
func refWdiff(x, y []float64, d, correction float64) float64 {
	n1, n2 := len(x), len(y)
	dr := make([]float64, 0, n1+n2)
	for _, v := range x {
		dr = append(dr, v-d)
	}
	dr = append(dr, y...)
	ranks, ties := refRank(dr)
	r1 := 0.0
	for _, r := range ranks[:n1] {
		r1 += r
	}
	dz := r1 - float64(n1*(n1+1))/2 - float64(n1*n2)/2
	c := correction
	if c == 0 && dz != 0 {
		c = math.Copysign(0.5, dz)
	}
	s := sigma(n1, n2, ties)
	if s == 0 {
		return 0
	}
	return (dz - c) / s
}
