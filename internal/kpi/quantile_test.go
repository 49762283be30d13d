package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Selection gives the type-7 quantiles sorting gives, on sizes around the
// insertion-sort cut-off and on many equal values.
func TestSelectQuantileIsQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 16, 17, 18, 50, 1000, 4097} {
		for _, spread := range []int64{3, 1_000_000_000} {
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = r.Int64N(spread)
			}
			sorted := slices.Sorted(slices.Values(vals))
			for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
				got := selectQuantile(slices.Clone(vals), p)
				if want := Quantile(sorted, p); got != want {
					t.Fatalf("n=%d spread=%d p=%v: selection %v, sorting %v", n, spread, p, got, want)
				}
			}
		}
	}
}

// dist's median and p90 are sorting's, however the values lie.
func TestDistIsSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 9, 10, 11, 19, 20, 21, 100, 1001} {
		for _, spread := range []int64{2, 1_000_000} {
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = r.Int64N(spread)
			}
			sorted := slices.Sorted(slices.Values(vals))
			d := dist(slices.Clone(vals))
			if *d.Median != Quantile(sorted, 0.5) || *d.P90 != Quantile(sorted, 0.9) {
				t.Fatalf("n=%d: median %v p90 %v; sorting gives %v, %v", n, *d.Median, *d.P90, Quantile(sorted, 0.5), Quantile(sorted, 0.9))
			}
		}
	}
}
