package stats

import (
	"math"
	"slices"
)

// exactU is the exact null distribution of U for sizes n1, n2 without ties.
type exactU struct {
	n1, n2 int
	cdf    []float64 // cdf[k] = P(U <= k), k = 0..n1*n2
}

// newExactU counts the arrangements of n1 x's and n2 y's by U with the
// recurrence f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k) (the largest value is
// an x, beating all n y's, or a y). Only additions: the counts stay accurate
// in float64 (C(98, 49) is about 2.5e28, far below the float64 range), and
// the cumulative sums of the lower tail are exact for small k, where the
// small p-values come from. O(n1 * n2 * n1*n2) time: 6M steps at 49 x 49.
func newExactU(n1, n2 int) exactU {
	size := n1*n2 + 1
	f := make([][]float64, n1+1)
	for m := range f {
		f[m] = make([]float64, size)
		f[m][0] = 1 // no y yet: U = 0
	}
	for n := 1; n <= n2; n++ {
		for m := 1; m <= n1; m++ {
			prev, cur := f[m-1], f[m]
			for k := m * n; k >= n; k-- { // U <= m*n
				cur[k] += prev[k-n]
			}
		}
	}
	counts := f[n1]
	total := 0.0
	for _, c := range counts {
		total += c
	}
	d := exactU{n1: n1, n2: n2, cdf: make([]float64, size)}
	acc := 0.0
	for k, c := range counts {
		acc += c
		d.cdf[k] = acc / total
	}
	return d
}

// le is P(U <= u); u may be a half-integer when ties were ignored.
func (d exactU) le(u float64) float64 {
	k := int(math.Floor(u + 1e-9))
	switch {
	case k < 0:
		return 0
	case k >= len(d.cdf):
		return 1
	}
	return min(1, d.cdf[k])
}

// ge is P(U >= u) = P(U <= n1*n2 - u) by symmetry, computed from the lower
// tail so small probabilities keep their precision.
func (d exactU) ge(u float64) float64 { return d.le(float64(d.n1*d.n2) - u) }

func (d exactU) pValue(u float64, alt Alternative) float64 {
	switch alt {
	case Greater:
		return d.ge(u)
	case Less:
		return d.le(u)
	}
	return min(1, 2*min(d.le(u), d.ge(u)))
}

// quantile is R's qwilcox(p, n1, n2) for p <= 0.5: the smallest q with
// P(U <= q) >= p, with R's fuzz of 10 machine epsilons.
func (d exactU) quantile(p float64) int {
	p -= 10 * 2.220446049250313e-16
	for q, c := range d.cdf {
		if c >= p {
			return q
		}
	}
	return len(d.cdf) - 1
}

// exactInterval is R's exact confidence interval: order statistics of the
// sorted pairwise differences at the U critical values.
func exactInterval(d exactU, diffs []float64, conf float64, alt Alternative) (lo, hi float64) {
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

// asymptoticInterval is R's wilcox.test confidence interval with the normal
// approximation (correct=TRUE): each bound is the shift d at which the
// continuity- and tie-corrected statistic of (x - d, y) crosses the normal
// quantile. R finds the crossing with uniroot(tol = 1e-4); the statistic is a
// step function of d that only jumps at pairwise differences, so we search
// the sorted distinct differences for the jump instead, which gives the
// difference R's root approximates (R's value is within its tolerance, 1e-4,
// of ours).
func asymptoticInterval(x, y, diffs []float64, conf float64, alt Alternative) (lo, hi float64) {
	alpha := 1 - conf
	distinct := slices.Compact(slices.Clone(diffs))
	if len(distinct) == 1 { // both samples constant: the shift is known
		return distinct[0], distinct[0]
	}
	switch alt {
	case Greater:
		return root(x, y, distinct, -normQuantile(alpha), 0.5), math.Inf(1)
	case Less:
		return math.Inf(-1), root(x, y, distinct, normQuantile(alpha), -0.5)
	}
	z := -normQuantile(alpha / 2)
	return root(x, y, distinct, z, 0), root(x, y, distinct, -z, 0)
}

// root finds where wdiff(d) - zq changes sign over d in [distinct[0],
// distinct[last]], as R's root() does; correction 0 means two-sided (the
// sign of the statistic), otherwise the one-sided continuity correction.
func root(x, y, distinct []float64, zq, correction float64) float64 {
	f := func(d float64) float64 { return wdiff(x, y, d, correction) - zq }
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

// wdiff is the standardized, continuity-corrected U statistic of (x - d, y)
// with the tie correction of the shifted samples (R's wdiff without zq).
func wdiff(x, y []float64, d, correction float64) float64 {
	n1, n2 := len(x), len(y)
	dr := make([]float64, 0, n1+n2)
	for _, v := range x {
		dr = append(dr, v-d)
	}
	dr = append(dr, y...)
	ranks, ties := rank(dr)
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
