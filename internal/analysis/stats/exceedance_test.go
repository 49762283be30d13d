package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// hypergeomBrute is P(X >= k) by enumerating every way to pick nx of the
// n observations (marked ones first): the reference for small samples.
func hypergeomBrute(k, marked, nx, ny uint64) float64 {
	n := int(nx + ny)
	var hit, all float64
	for mask := 0; mask < 1<<n; mask++ {
		var picked, inMarked uint64
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				picked++
				if uint64(i) < marked {
					inMarked++
				}
			}
		}
		if picked != nx {
			continue
		}
		all++
		if inMarked >= k {
			hit++
		}
	}
	return hit / all
}

func TestHypergeomTailsByEnumeration(t *testing.T) {
	t.Parallel()
	for nx := uint64(1); nx <= 7; nx++ {
		for ny := uint64(1); ny <= 7; ny++ {
			for marked := uint64(0); marked <= nx+ny; marked++ {
				for k := uint64(0); k <= min(marked, nx)+1; k++ {
					want := hypergeomBrute(k, marked, nx, ny)
					if got := hypergeomSF(k, marked, nx, ny); math.Abs(got-want) > 1e-12 {
						t.Fatalf("P(X >= %d), %d marked, %d+%d: %.15g, enumerated %.15g", k, marked, nx, ny, got, want)
					}
					if k > 0 {
						if got := hypergeomCDF(k-1, marked, nx, ny); math.Abs(got-(1-want)) > 1e-12 {
							t.Fatalf("P(X <= %d), %d marked, %d+%d: %.15g, want %.15g", k-1, marked, nx, ny, got, 1-want)
						}
					}
				}
			}
		}
	}
}

// Fisher's exact test never rejects more often than alpha when both sides
// come from one distribution, whatever the threshold, as long as it is
// chosen from the pooled sample: checked by the exact size (the sum over
// every outcome that rejects) for the sizes of a canary interval.
func TestExceedancesExactSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ nx, ny, marked uint64 }{
		{2500, 2500, 50}, {2500, 2500, 100}, {2400, 2600, 37}, {100, 300, 8}, {5000, 5000, 1}, {30, 30, 59},
	} {
		for _, level := range []float64{0.98, 0.99333} {
			lo, hi := hypergeomSupport(c.marked, c.nx, c.ny)
			size := 0.0
			for k := lo; k <= hi; k++ {
				r, err := Exceedances(k, c.nx, c.marked-k, c.ny, Options{ConfidenceLevel: level})
				if err != nil {
					t.Fatal(err)
				}
				if Significant(r.P, level) {
					size += hypergeomSum(k, k, c.marked, c.nx, c.ny)
				}
			}
			if size > Alpha(level)+1e-12 {
				t.Errorf("%d+%d with %d above the threshold at %g: size %.5f, more than alpha %.5f", c.nx, c.ny, c.marked, level, size, Alpha(level))
			}
		}
	}
}

// By simulation: two samples of one distribution, the threshold their pooled
// 98th percentile with ties (values on a coarse grid), reject at most alpha.
func TestExceedancesUnderTheNullBySimulation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 12))
	const runs, n = 4000, 500
	rejected := 0
	for range runs {
		var x, y [n]float64
		pooled := make([]float64, 0, 2*n)
		for i := range n {
			x[i] = math.Round(10 * math.Exp(0.5*rng.NormFloat64())) // ties, as in histogram buckets
			y[i] = math.Round(10 * math.Exp(0.5*rng.NormFloat64()))
			pooled = append(pooled, x[i], y[i])
		}
		threshold := order(pooled, 0.98)
		var kx, ky uint64
		for i := range n {
			if x[i] > threshold {
				kx++
			}
			if y[i] > threshold {
				ky++
			}
		}
		r, _ := Exceedances(kx, n, ky, n, Options{ConfidenceLevel: 0.98})
		if Significant(r.P, 0.98) {
			rejected++
		}
	}
	// At most 2% (80) in expectation; allow 3 standard deviations.
	if limit := runs*0.02 + 3*math.Sqrt(runs*0.02*0.98); float64(rejected) > limit {
		t.Errorf("rejected %d of %d samples of one distribution, want at most %.0f", rejected, runs, limit)
	}
	t.Logf("rejected %d of %d (%.2f%%; alpha 2%%)", rejected, runs, 100*float64(rejected)/runs)
}

// order is the value at rank q of xs (sorted copy, lower order statistic).
func order(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func TestExceedancesAgainstFisher(t *testing.T) {
	t.Parallel()
	// R: fisher.test(matrix(c(9, 991, 1, 999), 2), alternative = "greater")$p.value
	// = P(X >= 9) for X ~ Hypergeometric(10 marked of 2000, 1000 drawn).
	r, err := Exceedances(9, 1000, 1, 1000, Options{Alternative: Greater})
	if err != nil {
		t.Fatal(err)
	}
	// C(10,k) C(1990,1000-k) / C(2000,1000) summed for k = 9, 10, by ratios
	// of binomial coefficients (no logarithms): P(X = 10) =
	// prod_{i<10} (1000-i)/(2000-i).
	p10 := 1.0
	for i := 0.0; i < 10; i++ {
		p10 *= (1000 - i) / (2000 - i)
	}
	// P(X = 9) = C(10,9) C(1990,991) / C(2000,1000) = 10 × P(X = 10) × C(1990,991)/C(1990,990) = 10 × p10 × 1000/991.
	exact := p10 + 10*p10*1000/991
	if math.Abs(r.P-exact) > 1e-10*exact || r.P > 11.0/1024 {
		t.Errorf("p = %.15g, want %.15g (below the binomial test's 11/1024: the hypergeometric is narrower)", r.P, exact)
	}
	if _, err := Exceedances(1, 0, 1, 10, Options{}); err != ErrNoTrials {
		t.Errorf("no trials: %v, want ErrNoTrials", err)
	}
}
