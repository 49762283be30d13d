package stats

import "math"

// Exceedances compares the share of x's observations above a threshold
// (exceedX of trialsX) with y's by Fisher's exact test: when the threshold
// is chosen from the two samples pooled (their common q-quantile, say),
// equal distributions make every split of the pooled observations between
// x and y equally likely, so given the K = exceedX + exceedY observations
// above the threshold, exceedX is hypergeometric (K drawn from trialsX +
// trialsY, trialsX of them x's). The test is exact (its size never exceeds
// alpha) conditional on the pooled sample, hence on the threshold; with a
// threshold taken from y alone it would not be. The two-sided p-value
// doubles the smaller tail, as Proportions does; the estimate and its
// interval are Proportions' (the difference of the shares, Newcombe).
// Only o.Alternative and o.ConfidenceLevel are read.
func Exceedances(exceedX, trialsX, exceedY, trialsY uint64, o Options) (ProportionResult, error) {
	r, err := Proportions(exceedX, trialsX, exceedY, trialsY, o)
	if err != nil {
		return r, err
	}
	upper := hypergeomSF(exceedX, exceedX+exceedY, trialsX, trialsY)  // P(X >= exceedX)
	lower := hypergeomCDF(exceedX, exceedX+exceedY, trialsX, trialsY) // P(X <= exceedX)
	switch o.Alternative {
	case Greater:
		r.P = upper
	case Less:
		r.P = lower
	default:
		r.P = min(1, 2*min(upper, lower))
	}
	return r, nil
}

// hypergeomSF is P(X >= k), X being how many of the marked observations
// fall among x's when nx of the nx + ny observations are x's at random.
func hypergeomSF(k, marked, nx, ny uint64) float64 {
	lo, hi := hypergeomSupport(marked, nx, ny)
	if k <= lo {
		return 1
	}
	if k > hi {
		return 0
	}
	return hypergeomSum(k, hi, marked, nx, ny)
}

// hypergeomCDF is P(X <= k), X as in hypergeomSF.
func hypergeomCDF(k, marked, nx, ny uint64) float64 {
	lo, hi := hypergeomSupport(marked, nx, ny)
	if k >= hi {
		return 1
	}
	if k < lo {
		return 0
	}
	return hypergeomSum(lo, k, marked, nx, ny)
}

// hypergeomSupport is the range X can take: at least marked - ny of the
// marked observations are x's, at most min(marked, nx).
func hypergeomSupport(marked, nx, ny uint64) (lo, hi uint64) {
	if marked > ny {
		lo = marked - ny
	}
	return lo, min(marked, nx)
}

// hypergeomSum adds P(X = i) for i from a to b, each term in log space
// (C(marked, i) C(n - marked, nx - i) / C(n, nx)); at most 1.
func hypergeomSum(a, b, marked, nx, ny uint64) float64 {
	n := nx + ny
	total := lchoose(n, nx)
	s := 0.0
	for i := a; i <= b; i++ {
		s += math.Exp(lchoose(marked, i) + lchoose(n-marked, nx-i) - total)
	}
	return min(1, s)
}

// lchoose is ln C(n, k).
func lchoose(n, k uint64) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
