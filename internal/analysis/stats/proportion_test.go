package stats

import (
	"math"
	"testing"
)

// binomialSum is P(X >= k) for X ~ Binomial(n, p), term by term in log space:
// the reference the continued fraction is checked against.
func binomialSum(k, n uint64, p float64) float64 {
	s := 0.0
	for i := k; i <= n; i++ {
		ln, _ := math.Lgamma(float64(n + 1))
		li, _ := math.Lgamma(float64(i + 1))
		lr, _ := math.Lgamma(float64(n - i + 1))
		s += math.Exp(ln - li - lr + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return s
}

func TestBinomialTails(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{1, 2, 7, 30, 120, 1000, 4000} {
		for _, p := range []float64{0.001, 0.25, 0.5, 0.75, 0.97} {
			for _, k := range []uint64{0, 1, n / 4, n / 2, n - 1, n} {
				want := binomialSum(k, n, p)
				got := binomialSF(k, n, p)
				if math.Abs(got-want) > 1e-12+1e-9*want {
					t.Errorf("P(X >= %d), n=%d p=%g: %.15g, summed %.15g", k, n, p, got, want)
				}
				if k > 0 {
					// 1 - the summed tail loses ~1e-12 to rounding at n = 4000.
					if cdf := binomialCDF(k-1, n, p); math.Abs(cdf-(1-want)) > 1e-10 {
						t.Errorf("P(X <= %d), n=%d p=%g: %.15g, want %.15g", k-1, n, p, cdf, 1-want)
					}
				}
			}
		}
	}
}

func TestProportions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		ex, nx, ey, ny      uint64
		alt                 Alternative
		p                   float64 // reference p-value
		estimate, low, high float64
	}{
		// Equal trials: X | E=10 ~ Binomial(10, 1/2); P(X >= 9) = 11/1024.
		{name: "9 of 10 errors in the canary, one-sided", ex: 9, nx: 1000, ey: 1, ny: 1000, alt: Greater, p: 11.0 / 1024, estimate: 0.008},
		{name: "9 of 10, two-sided", ex: 9, nx: 1000, ey: 1, ny: 1000, p: 22.0 / 1024, estimate: 0.008},
		// No events at all: nothing to tell the sides apart.
		{name: "no events", ex: 0, nx: 500, ey: 0, ny: 700, p: 1, estimate: 0},
		// Unequal trials: X | E=3 ~ Binomial(3, 1/4); P(X <= 0) = 27/64.
		{name: "none in the smaller side, less", ex: 0, nx: 100, ey: 3, ny: 300, alt: Less, p: 27.0 / 64, estimate: -0.01},
	}
	for _, c := range cases {
		r, err := Proportions(c.ex, c.nx, c.ey, c.ny, Options{Alternative: c.alt, ConfidenceLevel: 0.98})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(r.P-c.p) > 1e-12 || math.Abs(r.Estimate-c.estimate) > 1e-15 {
			t.Errorf("%s: p %.15g estimate %g, want %.15g and %g", c.name, r.P, r.Estimate, c.p, c.estimate)
		}
		if !(r.Low <= r.Estimate && r.Estimate <= r.High) || r.Low < -1 || r.High > 1 {
			t.Errorf("%s: interval [%g, %g] does not hold the estimate %g", c.name, r.Low, r.High, r.Estimate)
		}
	}
	if _, err := Proportions(1, 0, 1, 10, Options{}); err != ErrNoTrials {
		t.Errorf("no trials: err %v, want ErrNoTrials", err)
	}
}

// TestProportionsSize checks the test is conservative: under equal shares
// it rejects at most alpha of the time, exactly computed over all outcomes.
func TestProportionsSize(t *testing.T) {
	t.Parallel()
	const n, share, alpha = 60, 0.05, 0.02
	pmf := func(k uint64) float64 { return binomialSum(k, n, share) - binomialSum(k+1, n, share) }
	size := 0.0
	for x := uint64(0); x <= n; x++ {
		for y := uint64(0); y <= n; y++ {
			r, _ := Proportions(x, n, y, n, Options{ConfidenceLevel: 1 - alpha})
			if r.P < alpha {
				size += pmf(x) * pmf(y)
			}
		}
	}
	if size > alpha {
		t.Errorf("size %.4f above alpha %.2f", size, alpha)
	}
}
