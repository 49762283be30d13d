package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sampleKinds make random samples of the shapes the judge sees: continuous
// values, few distinct values (ties), rounded decimals, infinities and
// values near the ends of the float64 range.
var sampleKinds = []struct {
	name   string
	finite bool
	gen    func(r *rand.Rand, shift float64) float64
}{
	{"normal", true, func(r *rand.Rand, s float64) float64 { return r.NormFloat64() + s }},
	{"ties", true, func(r *rand.Rand, s float64) float64 { return float64(r.IntN(5)) + math.Round(s) }},
	{"decimals", true, func(r *rand.Rand, s float64) float64 { return math.Round((r.Float64()+s)*10) / 10 }},
	{"mostly-zero", true, func(r *rand.Rand, s float64) float64 {
		if r.Float64() < 0.8-s/10 {
			return 0
		}
		return float64(r.IntN(3) + 1)
	}},
	{"infinities", false, func(r *rand.Rand, s float64) float64 {
		switch u := r.Float64(); {
		case u < 0.2+s/10:
			return math.Inf(1)
		case u < 0.25:
			return math.Inf(-1)
		}
		return float64(r.IntN(4))
	}},
	{"huge", false, func(r *rand.Rand, s float64) float64 {
		return (r.Float64()*2 - 1 + s/4) * math.MaxFloat64
	}},
	{"1e160", false, func(r *rand.Rand, s float64) float64 { return (r.Float64() + s) * 1e160 }},
}

func randomSample(r *rand.Rand, n int, gen func(*rand.Rand, float64) float64, shift float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = gen(r, shift)
	}
	return xs
}

func near(got, want float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= 1e-12*max(1, math.Abs(want))
}

// TestShiftMatchesReference: the selection gives what sorting every pairwise
// difference gave (reference_test.go), to 1e-12, on random finite samples
// with and without ties, for every alternative and method.
func TestShiftMatchesReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	alts := []Alternative{TwoSided, Greater, Less}
	for i := range 600 {
		k := sampleKinds[i%len(sampleKinds)]
		if !k.finite {
			continue
		}
		n1, n2 := 1+r.IntN(70), 1+r.IntN(70)
		shift := []float64{0, 0.3, 1, 3}[r.IntN(4)]
		x, y := randomSample(r, n1, k.gen, shift), randomSample(r, n2, k.gen, 0)
		o := Options{Alternative: alts[i%3], Method: Method(r.IntN(3)), ConfidenceLevel: []float64{0.9, 0.95, 0.98, 0.99}[r.IntN(4)]}
		if o.Method == Exact && n1*n2 > 2500 {
			o.Method = Auto
		}
		want := refMannWhitney(x, y, o)
		got, err := MannWhitney(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"U", got.U, want.U}, {"p", got.P, want.P}, {"estimate", got.Estimate, want.Estimate},
			{"low", got.Low, want.Low}, {"high", got.High, want.High}, {"CLES", got.CLES, want.CLES}} {
			if !near(c.got, c.want) {
				t.Errorf("case %d (%s, %dx%d, %+v): %s = %.17g, reference %.17g\nx=%v\ny=%v", i, k.name, n1, n2, o, c.name, c.got, c.want, x, y)
			}
		}
	}
}

// TestKthDifference: every order statistic of the differences, infinities
// and overflowing values included, is the one sorting them all gives.
func TestKthDifference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		k := sampleKinds[i%len(sampleKinds)]
		x := randomSample(r, 1+r.IntN(25), k.gen, 0.5)
		y := randomSample(r, 1+r.IntN(25), k.gen, 0)
		var all []float64
		for _, a := range x {
			for _, b := range y {
				all = append(all, diff(a, b))
			}
		}
		slices.Sort(all)
		s := shifts{x: sortedCopy(x), y: sortedCopy(y)}
		for j := range all {
			if got := s.kth(j + 1); got != all[j] && !(got == 0 && all[j] == 0) {
				t.Fatalf("%s: kth(%d) = %v, sorted %v\nx=%v\ny=%v", k.name, j+1, got, all[j], x, y)
			}
		}
	}
}

// TestEstimateInsideInterval: on random samples with ties, infinities and
// values near the float64 range, the shift's estimate lies inside its
// interval and nothing is NaN.
func TestEstimateInsideInterval(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 1500 {
		k := sampleKinds[i%len(sampleKinds)]
		n1, n2 := 1+r.IntN(80), 1+r.IntN(80)
		x := randomSample(r, n1, k.gen, []float64{0, 0.5, 2}[r.IntN(3)])
		y := randomSample(r, n2, k.gen, 0)
		o := Options{ConfidenceLevel: []float64{0.9, 0.98}[r.IntN(2)], Method: []Method{Auto, Asymptotic}[r.IntN(2)]}
		res, err := MannWhitney(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []float64{res.U, res.P, res.Estimate, res.Low, res.High, res.CLES} {
			if math.IsNaN(v) {
				t.Fatalf("%s: NaN in %+v\nx=%v\ny=%v", k.name, res, x, y)
			}
		}
		if !(res.Low <= res.Estimate && res.Estimate <= res.High) {
			t.Fatalf("%s %dx%d: estimate %v outside [%v, %v]\nx=%v\ny=%v", k.name, n1, n2, res.Estimate, res.Low, res.High, x, y)
		}
	}
}

// TestShiftNearFloatRange: differences of values near ±MaxFloat64 overflow;
// the estimate still lies inside its interval (it fell outside when the
// middle two differences were averaged by subtracting them).
func TestShiftNearFloatRange(t *testing.T) {
	t.Parallel()
	m := math.MaxFloat64
	x := []float64{0.9 * m, 0.95 * m, 0.97 * m, m}
	y := []float64{-0.2 * m, -0.1 * m, 0.1 * m, 0.2 * m, -m, -0.9 * m}
	res, err := MannWhitney(x, y, Options{Method: Asymptotic, ConfidenceLevel: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !(res.Low <= res.Estimate && res.Estimate <= res.High) {
		t.Errorf("estimate %v outside [%v, %v]", res.Estimate, res.Low, res.High)
	}
	if got := Median([]float64{-m, -m, m, m}); got != 0 {
		t.Errorf("median of ±MaxFloat64 = %v, want 0", got)
	}
	if got := Median([]float64{0.5 * m, m}); got != 0.75*m {
		t.Errorf("median of 0.5 max and max = %v, want %v", got, 0.75*m)
	}
}

// TestInfinitiesAreExtremes: +Inf ranks above every finite value and ties
// with +Inf; a canary at +Inf in 40% of its seconds is significantly higher.
func TestInfinitiesAreExtremes(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	r, err := MannWhitney([]float64{1, 2, inf}, []float64{1, 2, inf}, Options{Method: Asymptotic})
	if err != nil || r.U != 4.5 || r.Estimate != 0 || r.P != 1 {
		t.Errorf("identical samples with +Inf: %+v, %v", r, err)
	}
	r, _ = MannWhitney([]float64{inf, inf}, []float64{inf, inf, inf}, Options{})
	if r.U != 3 || r.Estimate != 0 || r.Low != 0 || r.High != 0 {
		t.Errorf("all +Inf: %+v; want a tie everywhere and shift 0", r)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var can, base []float64
	for i := range 120 {
		base = append(base, 0.2+0.05*rng.Float64())
		if i%5 < 2 {
			can = append(can, inf)
		} else {
			can = append(can, 0.2+0.05*rng.Float64())
		}
	}
	r, _ = MannWhitney(can, base, Options{})
	if r.P >= 0.001 || r.CLES <= 0.6 || !(r.Low > 0) {
		t.Errorf("40%% of the canary at +Inf: p = %v, CLES %v, shift %v [%v, %v]; want significant, the interval above 0", r.P, r.CLES, r.Estimate, r.Low, r.High)
	}
	if got := CLES(can, base); got != r.CLES {
		t.Errorf("CLES() = %v, test %v", got, r.CLES)
	}
}

func TestOrderedKey(t *testing.T) {
	t.Parallel()
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, math.MaxFloat64, math.Inf(1)}
	for i, v := range vals {
		if fromOrderedKey(orderedKey(v)) != v {
			t.Errorf("%v does not round-trip", v)
		}
		if i > 0 && orderedKey(vals[i-1]) >= orderedKey(v) {
			t.Errorf("key(%v) >= key(%v)", vals[i-1], v)
		}
	}
}

// BenchmarkMannWhitney measures the test with the estimate and its interval
// at sizes up to the judge's cap (a million samples a side); with ties (the
// normal approximation) as front-door latencies have them. See
// docs/benchmarks.md for the figures.
func BenchmarkMannWhitney(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(9, 10))
			x, y := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = math.Round(math.Exp(r.NormFloat64()*0.3)*1000*1.05) / 1000
				y[i] = math.Round(math.Exp(r.NormFloat64()*0.3)*1000) / 1000
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := MannWhitney(x, y, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
