package stats

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// vector is one case of testdata/mannwhitney.json (see
// scripts/gen_mannwhitney_vectors.py).
type vector struct {
	Name        string    `json:"name"`
	X           []float64 `json:"x"`
	Y           []float64 `json:"y"`
	Method      string    `json:"method"`
	Alternative string    `json:"alternative"`
	Conf        float64   `json:"confidenceLevel"`
	U           float64   `json:"u"`
	P           float64   `json:"p"`
	PR          float64   `json:"pR"`
	Estimate    float64   `json:"estimate"`
	EstimateR   float64   `json:"estimateR"`
	Low         *float64  `json:"low"`  // nil: -Inf
	High        *float64  `json:"high"` // nil: +Inf
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/mannwhitney.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Vectors []vector }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return doc.Vectors
}

func close(got, want, abs, rel float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

func orInf(p *float64, sign int) float64 {
	if p == nil {
		return math.Inf(sign)
	}
	return *p
}

// TestMannWhitneyReference compares with scipy (U, p) and R (p, interval).
// Tolerances: exact p-values and intervals 1e-9; normal-approximation
// p-values 1e-6 relative; normal-approximation interval bounds 2e-4 absolute,
// because R finds them with uniroot(tol = 1e-4) where we find the exact jump.
func TestMannWhitneyReference(t *testing.T) {
	t.Parallel()
	alts := map[string]Alternative{"two-sided": TwoSided, "greater": Greater, "less": Less}
	methods := map[string]Method{"exact": Exact, "asymptotic": Asymptotic}
	for _, v := range loadVectors(t) {
		t.Run(v.Name+"/"+v.Alternative, func(t *testing.T) {
			t.Parallel()
			r, err := MannWhitney(v.X, v.Y, Options{Alternative: alts[v.Alternative], Method: methods[v.Method], ConfidenceLevel: v.Conf})
			if err != nil {
				t.Fatal(err)
			}
			auto, _ := MannWhitney(v.X, v.Y, Options{Alternative: alts[v.Alternative], ConfidenceLevel: v.Conf})
			// The lognormal case is also run with the normal approximation on purpose.
			if auto.Exact != r.Exact && !strings.HasPrefix(v.Name, "asymptotic-lognormal") {
				t.Errorf("Auto chose exact=%v, the vector's method is %s", auto.Exact, v.Method)
			}
			if !close(r.U, v.U, 1e-9, 0) {
				t.Errorf("U = %v, scipy %v", r.U, v.U)
			}
			pAbs, pRel, ciAbs := 1e-9, 1e-9, 1e-9
			if v.Method == "asymptotic" {
				pAbs, pRel, ciAbs = 1e-12, 1e-6, 2e-4
			}
			if !close(r.P, v.P, pAbs, pRel) {
				t.Errorf("p = %.15g, scipy %.15g", r.P, v.P)
			}
			if !close(r.P, v.PR, pAbs, pRel) {
				t.Errorf("p = %.15g, R %.15g", r.P, v.PR)
			}
			if !close(r.Estimate, v.Estimate, 1e-9, 0) {
				t.Errorf("estimate = %v, median of differences %v", r.Estimate, v.Estimate)
			}
			if v.Method == "exact" && !close(r.Estimate, v.EstimateR, 1e-9, 0) {
				t.Errorf("estimate = %v, R %v", r.Estimate, v.EstimateR)
			}
			if !close(r.Low, orInf(v.Low, -1), ciAbs, 0) || !close(r.High, orInf(v.High, 1), ciAbs, 0) {
				t.Errorf("interval = [%.10g, %.10g], R [%.10g, %.10g]", r.Low, r.High, orInf(v.Low, -1), orInf(v.High, 1))
			}
		})
	}
}

func TestMannWhitneyEdges(t *testing.T) {
	t.Parallel()
	if _, err := MannWhitney(nil, []float64{1}, Options{}); err != ErrEmpty {
		t.Errorf("empty x: err = %v, want ErrEmpty", err)
	}
	if _, err := MannWhitney([]float64{math.NaN()}, []float64{1}, Options{}); err == nil {
		t.Error("NaN: no error")
	}
	if _, err := MannWhitney([]float64{1}, []float64{1}, Options{ConfidenceLevel: 1.5}); err == nil {
		t.Error("confidence 1.5: no error")
	}
	// All values tied: no evidence, p = 1, shift 0.
	r, err := MannWhitney([]float64{3, 3, 3}, []float64{3, 3, 3, 3}, Options{})
	if err != nil || r.P != 1 || r.Estimate != 0 || r.Low != 0 || r.High != 0 {
		t.Errorf("all tied: %+v, %v", r, err)
	}
	// Two constant samples: the shift is known exactly.
	r, _ = MannWhitney([]float64{5, 5, 5, 5}, []float64{3, 3, 3, 3, 3}, Options{})
	if r.Estimate != 2 || r.Low != 2 || r.High != 2 || r.CLES != 1 {
		t.Errorf("constant samples: %+v", r)
	}
}

func TestExactDistributionSumsToOne(t *testing.T) {
	t.Parallel()
	for _, n := range [][2]int{{1, 1}, {3, 5}, {10, 10}, {49, 49}} {
		d := newExactU(n[0], n[1])
		if got := d.cdf[len(d.cdf)-1]; math.Abs(got-1) > 1e-12 {
			t.Errorf("%v: cdf ends at %v", n, got)
		}
		// Symmetry: P(U <= k) = P(U >= mn - k).
		for k := range d.cdf {
			if math.Abs(d.le(float64(k))-d.ge(float64(n[0]*n[1]-k))) > 1e-12 {
				t.Fatalf("%v: asymmetric at %d", n, k)
			}
		}
	}
}

func BenchmarkMannWhitney300(b *testing.B) {
	x, y := make([]float64, 300), make([]float64, 300)
	for i := range x {
		x[i], y[i] = float64(i%37)*1.1, float64(i%41)
	}
	for b.Loop() {
		MannWhitney(x, y, Options{})
	}
}
