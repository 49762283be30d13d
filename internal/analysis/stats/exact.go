package stats

import (
	"math"
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
// pairwise differences at the U critical values.
func exactInterval(d exactU, s shifts, conf float64, alt Alternative) (lo, hi float64) {
	alpha := 1 - conf
	n := s.n()
	switch alt {
	case Greater:
		qu := max(1, d.quantile(alpha))
		return s.kth(qu), math.Inf(1)
	case Less:
		qu := max(1, d.quantile(alpha))
		return math.Inf(-1), s.kth(n - qu + 1)
	}
	qu := max(1, d.quantile(alpha/2))
	return s.kth(qu), s.kth(n - qu + 1)
}

// asymptoticInterval is R's wilcox.test confidence interval with the normal
// approximation (correct=TRUE): each bound is the shift d at which the
// continuity- and tie-corrected statistic of (x - d, y) crosses the normal
// quantile. R finds the crossing with uniroot(tol = 1e-4); the statistic is a
// step function of d that only jumps at pairwise differences, so we find the
// difference where it jumps instead, which R's root approximates (R's value
// is within its tolerance, 1e-4, of ours).
func asymptoticInterval(s shifts, conf float64, alt Alternative) (lo, hi float64) {
	alpha := 1 - conf
	if s.min() == s.max() { // both samples constant: the shift is known
		return s.min(), s.min()
	}
	switch alt {
	case Greater:
		return root(s, -normQuantile(alpha), 0.5), math.Inf(1)
	case Less:
		return math.Inf(-1), root(s, normQuantile(alpha), -0.5)
	}
	z := -normQuantile(alpha / 2)
	return root(s, z, 0), root(s, -z, 0)
}

// root finds where wdiff(d) - zq changes sign over d in [min, max] of the
// differences, as R's root() does; correction 0 means two-sided (the sign
// of the statistic), otherwise the one-sided continuity correction.
//
// Between two neighbouring differences the statistic depends only on c, the
// number of differences above d (U of x - d against y, with no ties across
// the samples), and grows with c; so the root is the smallest difference D
// with at most c* differences above it, c* the largest c where the
// statistic is at or below zq: the (n − c*)-th smallest difference.
func root(s shifts, zq, correction float64) float64 {
	first, last := s.min(), s.max()
	if wdiffAt(s, first, correction)-zq <= 0 {
		return first
	}
	if wdiffAt(s, last, correction)-zq >= 0 {
		return last
	}
	n := s.n()
	sd := sigma(len(s.x), len(s.y), tieTerm(s.x)+tieTerm(s.y))
	g := func(c int) float64 { return standardized(float64(c)-float64(n)/2, sd, correction) - zq }
	// g is non-decreasing in c: find the largest c in [0, n] with g(c) <= 0.
	if g(0) > 0 {
		return last
	}
	lo, hi := 0, n
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if g(mid) <= 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return s.kth(max(1, n-lo))
}

// wdiffAt is the standardized, continuity-corrected U statistic of (x - d,
// y) at a difference d itself, where pairs with x_i - y_j = d are ties (R's
// wdiff without zq).
func wdiffAt(s shifts, d, correction float64) float64 {
	n1, n2 := len(s.x), len(s.y)
	below, atOrBelow := s.atMost(d, true), s.atMost(d, false)
	u := float64(n1*n2-atOrBelow) + float64(atOrBelow-below)/2
	return standardized(u-float64(n1*n2)/2, sigma(n1, n2, shiftedTies(s, d)), correction)
}

// standardized is (dz - c) / sd with c the continuity correction (the sign
// of dz for two-sided), 0 without spread.
func standardized(dz, sd, correction float64) float64 {
	c := correction
	if c == 0 && dz != 0 {
		c = math.Copysign(0.5, dz)
	}
	if sd == 0 {
		return 0
	}
	return (dz - c) / sd
}

// tieTerm is sum(t³ − t) over groups of t equal values of sorted xs.
func tieTerm(xs []float64) float64 {
	ties := 0.0
	for i := 0; i < len(xs); {
		j := i + 1
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	return ties
}

// shiftedTies is the tie term of x - d and y together: groups of equal
// values within each sample, joined where x_i - y_j = d.
func shiftedTies(s shifts, d float64) float64 {
	type run struct {
		v float64
		n int
	}
	runs := func(xs []float64) []run {
		var out []run
		for i := 0; i < len(xs); {
			j := i + 1
			for j < len(xs) && xs[j] == xs[i] {
				j++
			}
			out = append(out, run{xs[i], j - i})
			i = j
		}
		return out
	}
	cube := func(n int) float64 { t := float64(n); return t*t*t - t }
	xr, yr := runs(s.x), runs(s.y)
	used := make([]bool, len(yr))
	ties, j := 0.0, 0
	for _, a := range xr {
		// y runs are ascending, so diff(a.v, y) falls: skip those above d
		for j < len(yr) && diff(a.v, yr[j].v) > d {
			j++
		}
		if j < len(yr) && !used[j] && diff(a.v, yr[j].v) == d {
			used[j] = true
			ties += cube(a.n + yr[j].n)
			continue
		}
		ties += cube(a.n)
	}
	for k, b := range yr {
		if !used[k] {
			ties += cube(b.n)
		}
	}
	return ties
}
