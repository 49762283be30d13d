package stats

import (
	"math"
	"slices"
	"testing"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	xs := []float64{7, 1, 3, 5, 9}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"mean", Mean(xs), 5},
		{"median", Median(xs), 5},
		{"q25", Quantile(xs, 0.25), 3},
		{"q90 interpolates", Quantile(xs, 0.9), 8.2}, // numpy.quantile([1,3,5,7,9], 0.9)
		{"q0", Quantile(xs, 0), 1},
		{"q1", Quantile(xs, 1), 9},
		{"stddev", StdDev(xs), math.Sqrt(10)},
		{"stddev of one", StdDev([]float64{4}), 0},
	} {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if !math.IsNaN(Mean(nil)) || !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("empty input should give NaN")
	}
}

func TestRemoveOutliers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      []float64
		factor  float64
		want    []float64
		removed int
	}{
		// Six values: Q1 = 2.25, Q3 = 4.75, IQR = 2.5: fences 1.5 -> [-1.5, 8.5], 3.0 -> [-5.25, 12.25].
		{"far outlier", []float64{1, 2, 3, 4, 5, 100}, 3, []float64{1, 2, 3, 4, 5}, 1},
		{"tukey fences", []float64{1, 2, 3, 4, 5, 9}, 1.5, []float64{1, 2, 3, 4, 5}, 1},
		{"kept at factor 3", []float64{1, 2, 3, 4, 5, 9}, 3, []float64{1, 2, 3, 4, 5, 9}, 0},
		{"too few to judge", []float64{1, 2, 100}, 1.5, []float64{1, 2, 100}, 0},
		{"low outlier, order kept", []float64{-50, 3, 1, 2, 4, 5}, 3, []float64{3, 1, 2, 4, 5}, 1},
	} {
		got, removed := RemoveOutliers(tc.in, tc.factor)
		if !slices.Equal(got, tc.want) || removed != tc.removed {
			t.Errorf("%s: got %v (%d removed), want %v (%d)", tc.name, got, removed, tc.want, tc.removed)
		}
	}
}

func TestPower(t *testing.T) {
	t.Parallel()
	// Two-sample z-test power for d = 0.5, n = 100 per group, alpha 0.05 is
	// 0.94244; with the sizes scaled by 3/π it is 0.93254 (both by scipy.stats.norm).
	if got := Power(100, 100, 1, 0.5, 0.05); math.Abs(got-0.932539874820124) > 1e-9 {
		t.Errorf("power = %v, want 0.932539874820124", got)
	}
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"no samples", Power(0, 10, 1, 1, 0.02), 0},
		{"no shift", Power(10, 10, 1, 0, 0.02), 0.02},
		{"no spread", Power(10, 10, 0, 1, 0.02), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if Power(10, 10, 1, 0.5, 0.02) >= Power(40, 40, 1, 0.5, 0.02) {
		t.Error("power should grow with the sample size")
	}
}

// TestDescribeExtremes: values near the float64 range and infinities give
// defined statistics, never NaN (which breaks a JSON record).
func TestDescribeExtremes(t *testing.T) {
	t.Parallel()
	inf, m := math.Inf(1), math.MaxFloat64
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"stddev around 1e160", StdDev([]float64{1e160, 2e160, 3e160}), 1e160},
		{"stddev of equal huge values", StdDev([]float64{m, m, m}), 0},
		{"stddev near the range", StdDev([]float64{m, -m}), math.Sqrt2 * m},
		{"mean near the range", Mean([]float64{m, m, m}), m},
		{"mean of opposite maxima", Mean([]float64{m, -m}), 0},
		{"mean overflowing both ways", Mean([]float64{m, m, -m, -m, m}), m / 5},
		{"mean with +Inf", Mean([]float64{1, inf}), inf},
		{"stddev with +Inf", StdDev([]float64{1, inf}), inf},
		{"stddev of +Inf only", StdDev([]float64{inf, inf}), 0},
		{"median of two +Inf", Median([]float64{inf, inf, 1}), inf},
		{"median of +Inf and -Inf", Median([]float64{math.Inf(-1), inf}), 0},
		{"median overflowing the midpoint", Median([]float64{-m, m}), 0},
	} {
		if tc.got != tc.want && math.Abs(tc.got-tc.want) > 1e-12*math.Abs(tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if got := Mean([]float64{inf, math.Inf(-1)}); !math.IsNaN(got) {
		t.Errorf("mean of +Inf and -Inf = %v, want NaN (undefined)", got)
	}
	kept, removed := RemoveOutliers([]float64{1, 2, 3, 4, 5, inf, inf, inf, inf, inf, inf, inf}, 3)
	if removed != 0 || len(kept) != 12 {
		t.Errorf("RemoveOutliers with +Inf quartiles removed %d: %v", removed, kept)
	}
	kept, removed = RemoveOutliers([]float64{1, 1, 1, 1, 1, 1, 1, 1, inf}, 3)
	if removed != 0 || len(kept) != 9 {
		t.Errorf("RemoveOutliers dropped +Inf: removed %d, kept %v", removed, kept)
	}
}

// TestSignificanceBoundary: p exactly at 1 − confidence is not significant,
// the float just below it is.
func TestSignificanceBoundary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ conf, alpha float64 }{{0.98, 0.02}, {0.95, 0.05}, {0.99, 0.01}, {0.9, 0.1}, {0.999, 0.001}} {
		if got := Alpha(tc.conf); got != tc.alpha {
			t.Errorf("Alpha(%v) = %.17g, want %v", tc.conf, got, tc.alpha)
		}
		if Significant(tc.alpha, tc.conf) {
			t.Errorf("p = %v is significant at %v", tc.alpha, tc.conf)
		}
		if below := math.Nextafter(tc.alpha, 0); !Significant(below, tc.conf) {
			t.Errorf("p = %.17g is not significant at %v", below, tc.conf)
		}
	}
}
