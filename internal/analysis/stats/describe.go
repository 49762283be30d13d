package stats

import (
	"math"
	"slices"
)

// Mean is the arithmetic mean of xs; NaN for an empty slice. Infinite
// values make it infinite (NaN with both +Inf and -Inf); finite values sum
// without overflow (a sum beyond the float64 range is redone scaled by a
// power of two), so the mean of finite values is finite.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if (math.IsInf(m, 0) || math.IsNaN(m)) && !hasInf(xs) {
		sc := scale(xs)
		s = 0
		for _, x := range xs {
			s += x / sc
		}
		m = s / float64(len(xs)) * sc
	}
	return m
}

// StdDev is the sample standard deviation of xs (n-1 in the denominator); 0
// for fewer than two values, +Inf when a value is infinite (or all equal
// infinities: 0). Squares beyond the float64 range (values around 1e160)
// are avoided by scaling with a power of two, so finite values give a
// finite result unless the spread itself exceeds the range.
func StdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	if hasInf(xs) {
		if slices.Min(xs) == slices.Max(xs) {
			return 0
		}
		return math.Inf(1)
	}
	sd := stdDev(xs, 1)
	if math.IsInf(sd, 0) || math.IsNaN(sd) {
		sc := scale(xs)
		sd = stdDev(xs, sc) * sc
	}
	return sd
}

// stdDev is the standard deviation of xs / sc.
func stdDev(xs []float64, sc float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x / sc
	}
	m /= float64(len(xs))
	s := 0.0
	for _, x := range xs {
		d := x/sc - m
		s += d * d
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// scale is a power of two near the largest |x| of finite xs: dividing by it
// is exact (short of subnormals) and brings every value within [-2, 2]
// (2^1024, the power above MaxFloat64, is not a float64).
func scale(xs []float64) float64 {
	a := 0.0
	for _, x := range xs {
		a = max(a, math.Abs(x))
	}
	if a == 0 {
		return 1
	}
	_, exp := math.Frexp(a)
	return math.Ldexp(1, exp-1)
}

func hasInf(xs []float64) bool {
	return slices.ContainsFunc(xs, func(x float64) bool { return math.IsInf(x, 0) })
}

// Quantile is the q-quantile (0 <= q <= 1) of xs with linear interpolation
// between order statistics (R's type 7, numpy's default). NaN for an empty slice.
func Quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, q)
}

// Median is Quantile(xs, 0.5).
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	if lo < 0 {
		return s[0]
	}
	return lerp(s[lo], s[lo+1], h-float64(lo))
}

// lerp is a + t·(b − a) for a <= b and t in [0, 1], defined everywhere:
// within [a, b] even when b − a overflows, a (or b) when t is 0 (or 1),
// the infinity when one end is infinite, and 0 halfway between -Inf and +Inf.
func lerp(a, b, t float64) float64 {
	switch {
	case t == 0 || a == b:
		return a
	case t == 1:
		return b
	case math.IsInf(a, -1) && math.IsInf(b, 1):
		if t == 0.5 {
			return 0
		}
		return math.Inf(int(math.Copysign(1, t-0.5)))
	case math.IsInf(a, 0):
		return a
	case math.IsInf(b, 0):
		return b
	}
	v := a + t*(b-a)
	if math.IsInf(v, 0) { // b - a overflowed
		v = a*(1-t) + b*t
	}
	return min(max(v, a), b)
}

// IQRFences are the limits outside which a value is an outlier:
// [Q1 - factor*IQR, Q3 + factor*IQR], quartiles as in Quantile. Tukey's
// fences use factor 1.5; Kayenta's judge uses 3.0 (far outliers only).
// An infinite quartile makes its fence infinite (nothing beyond it is an
// outlier).
func IQRFences(xs []float64, factor float64) (lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	q1, q3 := quantileSorted(s, 0.25), quantileSorted(s, 0.75)
	iqr := diff(q3, q1)
	lo, hi = q1-factor*iqr, q3+factor*iqr
	if math.IsNaN(lo) || math.IsInf(q1, 0) || math.IsInf(iqr, 0) {
		lo = math.Inf(-1)
	}
	if math.IsNaN(hi) || math.IsInf(q3, 0) || math.IsInf(iqr, 0) {
		hi = math.Inf(1)
	}
	return lo, hi
}

// RemoveOutliers returns the values of xs inside IQRFences(xs, factor), in
// their original order, and how many it removed. Fewer than 4 values are
// returned as they are: quartiles of so few say nothing. Infinite values are
// never removed: a latency above a histogram's top bucket is the worst the
// canary did, not noise.
func RemoveOutliers(xs []float64, factor float64) (kept []float64, removed int) {
	if len(xs) < 4 {
		return slices.Clone(xs), 0
	}
	lo, hi := IQRFences(xs, factor)
	kept = make([]float64, 0, len(xs))
	for _, x := range xs {
		if (x >= lo && x <= hi) || math.IsInf(x, 0) {
			kept = append(kept, x)
		}
	}
	return kept, len(xs) - len(kept)
}
