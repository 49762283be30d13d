package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Alternative is the hypothesis a test is against.
type Alternative int

const (
	// TwoSided: x and y differ in location (either way).
	TwoSided Alternative = iota
	// Greater: x is shifted above y.
	Greater
	// Less: x is shifted below y.
	Less
)

// Method chooses how the U distribution is computed.
type Method int

const (
	// Auto is Exact when both samples have fewer than ExactLimit values and
	// there are no ties, Asymptotic otherwise (R's wilcox.test rule).
	Auto Method = iota
	// Exact uses the exact null distribution of U (ignoring ties).
	Exact
	// Asymptotic uses the normal approximation with tie and continuity correction.
	Asymptotic
)

// ExactLimit: Auto uses the exact distribution when both samples are smaller.
const ExactLimit = 50

// DefaultConfidenceLevel is Kayenta's NetflixACAJudge confidence level.
const DefaultConfidenceLevel = 0.98

// Options configure MannWhitney; the zero value is a two-sided test, Auto
// method, 0.98 confidence interval.
type Options struct {
	Alternative Alternative
	Method      Method
	// ConfidenceLevel of the interval around the shift, in (0, 1); 0 means
	// DefaultConfidenceLevel.
	ConfidenceLevel float64
}

// Result of a Mann-Whitney U test of x against y.
type Result struct {
	N1, N2 int // sizes of x and y
	// U is the statistic of x: the pairs with x > y plus half the ties
	// (scipy's statistic; R calls it W).
	U float64 `json:"u"`
	// P is the p-value for the options' alternative.
	P float64 `json:"p"`
	// Exact reports whether P and the interval come from the exact distribution.
	Exact bool `json:"exact"`
	// Z is the normal deviate (with continuity correction) of the asymptotic
	// test; 0 for an exact test.
	Z float64 `json:"z"`
	// Estimate is the Hodges-Lehmann estimate of the shift x - y: the median of
	// all pairwise differences x_i - y_j (halfway between -Inf and +Inf is 0).
	Estimate float64 `json:"estimate"`
	// Low and High bound the confidence interval of the shift (-Inf or +Inf
	// for the open side of a one-sided alternative).
	Low             float64 `json:"low"`
	High            float64 `json:"high"`
	ConfidenceLevel float64 `json:"confidenceLevel"`
	// CLES is the common-language effect size U / (N1*N2): the probability
	// that a value of x exceeds one of y (ties count half).
	CLES float64 `json:"cles"`
}

// ErrEmpty: a sample given to MannWhitney has no values.
var ErrEmpty = errors.New("stats: a sample is empty")

// MannWhitney tests whether x is shifted against y and estimates the shift.
// NaN values must be removed first (see the judge's nanStrategy); ±Inf are
// values like any other: +Inf ranks above every finite value, and equal
// infinities are ties. A difference of two equal infinities is 0, so the
// estimate and the interval are order statistics consistent with the ranks;
// they are ±Inf when more than the differences beyond that order statistic
// are infinite (see diff). Time O((n1+n2) log(n1+n2)), memory O(n1+n2).
func MannWhitney(x, y []float64, o Options) (Result, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return Result{}, ErrEmpty
	}
	if slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return Result{}, fmt.Errorf("stats: a sample holds NaN; remove or replace NaN values before testing")
	}
	conf := o.ConfidenceLevel
	if conf == 0 {
		conf = DefaultConfidenceLevel
	}
	if conf <= 0 || conf >= 1 {
		return Result{}, fmt.Errorf("stats: confidence level %v is outside (0, 1)", conf)
	}
	sx, sy := sortedCopy(x), sortedCopy(y)
	u, ties := uStat(sx, sy)
	res := Result{N1: n1, N2: n2, ConfidenceLevel: conf, U: u}
	res.CLES = res.U / (float64(n1) * float64(n2))
	res.Exact = o.Method == Exact || (o.Method == Auto && n1 < ExactLimit && n2 < ExactLimit && ties == 0)

	s := shifts{x: sx, y: sy}
	res.Estimate = s.median()
	if res.Exact {
		d := newExactU(n1, n2)
		res.P = d.pValue(res.U, o.Alternative)
		res.Low, res.High = exactInterval(d, s, conf, o.Alternative)
		return res, nil
	}
	res.Z, res.P = asymptoticP(res.U, n1, n2, ties, o.Alternative)
	res.Low, res.High = asymptoticInterval(s, conf, o.Alternative)
	return res, nil
}

// sigma is the standard deviation of U under the null hypothesis with the
// tie correction.
func sigma(n1, n2 int, ties float64) float64 {
	n := float64(n1 + n2)
	return math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1))))
}

// asymptoticP is the normal approximation with continuity correction (scipy
// use_continuity=True, R correct=TRUE). All values tied gives p = 1.
func asymptoticP(u float64, n1, n2 int, ties float64, alt Alternative) (z, p float64) {
	mu := float64(n1*n2) / 2
	s := sigma(n1, n2, ties)
	if s == 0 || math.IsNaN(s) {
		return 0, 1
	}
	switch alt {
	case Greater:
		z = (u - mu - 0.5) / s
		return z, normSF(z)
	case Less:
		z = (u - mu + 0.5) / s
		return z, normCDF(z)
	}
	d := u - mu
	z = (d - math.Copysign(0.5, d)) / s
	if d == 0 {
		z = 0
	}
	return z, min(1, 2*normSF(math.Abs(z)))
}
