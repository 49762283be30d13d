package stats

import (
	"math"
	"slices"
)

// Mean is the arithmetic mean of xs; NaN for an empty slice.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// StdDev is the sample standard deviation of xs (n-1 in the denominator); 0
// for fewer than two values.
func StdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := Mean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
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
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// IQRFences are the limits outside which a value is an outlier:
// [Q1 - factor*IQR, Q3 + factor*IQR], quartiles as in Quantile. Tukey's
// fences use factor 1.5; Kayenta's judge uses 3.0 (far outliers only).
func IQRFences(xs []float64, factor float64) (lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	q1, q3 := quantileSorted(s, 0.25), quantileSorted(s, 0.75)
	iqr := q3 - q1
	return q1 - factor*iqr, q3 + factor*iqr
}

// RemoveOutliers returns the values of xs inside IQRFences(xs, factor), in
// their original order, and how many it removed. Fewer than 4 values are
// returned as they are: quartiles of so few say nothing.
func RemoveOutliers(xs []float64, factor float64) (kept []float64, removed int) {
	if len(xs) < 4 {
		return slices.Clone(xs), 0
	}
	lo, hi := IQRFences(xs, factor)
	kept = make([]float64, 0, len(xs))
	for _, x := range xs {
		if x >= lo && x <= hi {
			kept = append(kept, x)
		}
	}
	return kept, len(xs) - len(kept)
}
