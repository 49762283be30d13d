package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The judge at its edges: scores and p-values exactly at a threshold,
// infinite samples, values near the float64 range, and too many samples.

// metricsScoring builds classified metrics: per group, how many metrics
// pass of how many.
func metricsScoring(groups map[string][2]int) (AnalysisConfig, []MetricResult) {
	var cfg AnalysisConfig
	var rs []MetricResult
	for g, pf := range groups {
		for i := range pf[1] {
			name := fmt.Sprintf("%s-%d", g, i)
			cfg.Metrics = append(cfg.Metrics, MetricConfig{Name: name, Group: g})
			c := ClassHigh
			if i < pf[0] {
				c = ClassPass
			}
			rs = append(rs, MetricResult{Name: name, Group: g, Classification: c})
		}
	}
	return cfg, rs
}

// TestScoreRoundedBeforeThresholds: a score that is a threshold on paper is
// that threshold, not a float a hair beside it.
func TestScoreRoundedBeforeThresholds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		groups map[string][2]int // passed, of
		score  float64
		class  ScoreClass
		text   string
	}{
		// (70 + 5×100) / 6 is 94.99999999999999 in float64
		{"six groups averaging 95", map[string][2]int{"a": {7, 10}, "b": {1, 1}, "c": {1, 1}, "d": {1, 1}, "e": {1, 1}, "f": {1, 1}}, 95, ScorePass, "95.0"},
		// (70 + 75 + 80) / 3 is 75.00000000000001
		{"three groups averaging 75", map[string][2]int{"a": {7, 10}, "b": {3, 4}, "c": {4, 5}}, 75, ScoreFail, "75.0"},
		{"two thirds", map[string][2]int{"a": {2, 3}}, 66.67, ScoreFail, "66.67"},
		{"just short of pass", map[string][2]int{"a": {1899, 2000}}, 94.95, ScoreMarginal, "94.95"},
	} {
		cfg, rs := metricsScoring(tc.groups)
		cfg = cfg.WithDefaults()
		_, score, _ := ScoreMetrics(cfg, rs)
		if score != tc.score {
			t.Errorf("%s: score %.17g, want %v", tc.name, score, tc.score)
		}
		if got := ClassifyScore(cfg.Thresholds, score); got != tc.class {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.class)
		}
		if got := FormatScore(score); got != tc.text {
			t.Errorf("%s: FormatScore = %q, want %q", tc.name, got, tc.text)
		}
	}
	th := Thresholds{Pass: 95, Marginal: 75}
	if got := ClassifyScore(th, 94.99999999999999); got != ScorePass {
		t.Errorf("ClassifyScore(94.99999999999999) = %s, want pass", got)
	}
	if got := ClassifyScore(th, 75.00000000000001); got != ScoreFail {
		t.Errorf("ClassifyScore(75.00000000000001) = %s, want fail", got)
	}
}

// TestSignificanceAtExactlyAlpha: p = 1 − confidence is not significant,
// the float just below is, in the decision and in the too-few-samples rule.
func TestSignificanceAtExactlyAlpha(t *testing.T) {
	t.Parallel()
	m := MetricConfig{Name: "latency", Direction: DirectionIncrease}
	for _, tc := range []struct {
		conf, p float64
		want    Classification
	}{
		{0.98, 0.02, ClassPass},
		{0.98, math.Nextafter(0.02, 0), ClassHigh},
		{0.95, 0.05, ClassPass},
		{0.95, math.Nextafter(0.05, 0), ClassHigh},
		{0.99, 0.01, ClassPass},
		{0.99, math.Nextafter(0.01, 0), ClassHigh},
	} {
		r := MetricResult{Tested: true, P: tc.p, ConfidenceLevel: tc.conf, Estimate: 5, Low: 2, High: 8, Tolerance: 1.25, EffectSize: 2}
		if got, why := decide(r, m); got != tc.want {
			t.Errorf("p = %.17g at %v: %s (%s), want %s", tc.p, tc.conf, got, why, tc.want)
		}
	}
	// One canary sample against 99: the smallest possible p is 2/100 = 0.02,
	// which can never be significant at 98%: too little data, not a test.
	// Against 100 it is 2/101, and the test runs.
	cfg := AnalysisConfig{MinSamples: 1, Metrics: []MetricConfig{m}}.WithDefaults()
	for _, tc := range []struct {
		baseline     int
		insufficient bool
	}{{99, true}, {100, false}} {
		s := MetricSamples{Name: "latency", Canary: []float64{1000}}
		for i := range tc.baseline {
			s.Baseline = append(s.Baseline, float64(i))
		}
		r := ClassifyMetric(cfg, cfg.Metrics[0], s)
		if r.Insufficient != tc.insufficient {
			t.Errorf("1 canary sample against %d: insufficient %v (%s), want %v", tc.baseline, r.Insufficient, r.Reason, tc.insufficient)
		}
	}
}

// latencyP99 is a p99 series of n seconds around 0.2 s, with +Inf (the
// quantile above the histogram's top bucket) in the seconds inf says.
func latencyP99(r *rand.Rand, n int, inf func(i int) bool) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 0.2 + 0.05*r.Float64()
		if inf(i) {
			xs[i] = math.Inf(1)
		}
	}
	return xs
}

// TestInfiniteSamplesAreTheWorst: a canary whose p99 is +Inf in 48 of 120
// seconds fails, with either NaN strategy (replace used to make those
// seconds 0 s, remove to drop them: the canary passed with p = 0.11), and
// its record is JSON.
func TestInfiniteSamplesAreTheWorst(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	s := MetricSamples{Name: "p99", Baseline: latencyP99(r, 120, func(int) bool { return false }),
		Canary: latencyP99(r, 120, func(i int) bool { return i%5 < 2 })}
	for _, nan := range []NaNStrategy{NaNRemove, NaNReplace} {
		cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "p99", Direction: DirectionIncrease, NaNStrategy: nan,
			EffectSize: EffectSize{AllowedIncrease: 1.1}}}}.WithDefaults()
		res := ClassifyMetric(cfg, cfg.Metrics[0], s)
		if res.Classification != ClassHigh || res.Canary.Count != 120 || res.Canary.Infinite != 48 || res.Canary.NaN != 0 {
			t.Errorf("nanStrategy %s: %s (%s), canary %+v; want high on all 120 samples, 48 infinite", nan, res.Classification, res.Reason, res.Canary)
		}
		if Infinite(res.Canary.Mean) != 1 || Infinite(res.EffectSize) != 1 {
			t.Errorf("nanStrategy %s: canary mean %v, mean ratio %v; want +Inf (recorded as MaxFloat64)", nan, res.Canary.Mean, res.EffectSize)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Errorf("nanStrategy %s: %v", nan, err)
		}
	}
	// Most of the canary at +Inf: the estimate is +Inf, and a share of it as
	// tolerance would excuse anything; the test decides.
	s.Canary = latencyP99(r, 120, func(i int) bool { return i%5 < 4 })
	cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "p99", Direction: DirectionIncrease}}}.WithDefaults()
	res := ClassifyMetric(cfg, cfg.Metrics[0], s)
	if res.Classification != ClassHigh || Infinite(res.Estimate) != 1 || res.Tolerance != 0 {
		t.Errorf("80%% at +Inf: %s (%s), estimate %v, tolerance %v; want high, +Inf, 0", res.Classification, res.Reason, res.Estimate, res.Tolerance)
	}
}

// TestHugeValuesStayJSON: samples around 1e160 overflowed the standard
// deviation, and the record could not be written as JSON.
func TestHugeValuesStayJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 14))
	for _, scale := range []float64{1e160, 1e300, math.MaxFloat64 / 2} {
		s := MetricSamples{Name: "m"}
		for range 30 {
			s.Baseline = append(s.Baseline, (1+r.Float64())*scale)
			s.Canary = append(s.Canary, (1+r.Float64())*scale*0.9)
		}
		cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "m"}}}.WithDefaults()
		res := ClassifyMetric(cfg, cfg.Metrics[0], s)
		if _, err := json.Marshal(res); err != nil {
			t.Errorf("scale %g: %v", scale, err)
		}
		if Infinite(res.Baseline.StdDev) != 0 || Infinite(res.Baseline.Mean) != 0 {
			t.Errorf("scale %g: baseline %+v; want a finite mean and spread", scale, res.Baseline)
		}
		if !(res.Low <= res.Estimate && res.Estimate <= res.High) {
			t.Errorf("scale %g: estimate %v outside [%v, %v]", scale, res.Estimate, res.Low, res.High)
		}
	}
}

// TestTooManySamples: beyond MaxSamples a side the judge refuses, naming the
// metric, the count, the cap and what to do.
func TestTooManySamples(t *testing.T) {
	t.Parallel()
	cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency"}}}.WithDefaults()
	s := MetricSamples{Name: "latency", Baseline: make([]float64, 10), Canary: make([]float64, MaxSamples+1)}
	res := ClassifyMetric(cfg, cfg.Metrics[0], s)
	want := fmt.Sprintf("metric latency: the canary has %d samples, more than the judge's cap of %d per side: judge a shorter interval", MaxSamples+1, MaxSamples)
	if res.Classification != ClassNoData || !res.Insufficient || !strings.Contains(res.Reason, want) {
		t.Errorf("%s, insufficient %v: %q; want nodata naming %q", res.Classification, res.Insufficient, res.Reason, want)
	}
	var b strings.Builder
	b.WriteString("metric,value\n")
	for range MaxSamples + 1 {
		b.WriteString("latency,1\n")
	}
	_, err := ReadSamplesCSV("big.csv", strings.NewReader(b.String()))
	if !errors.Is(err, ErrTooManySamples) || !strings.Contains(err.Error(), fmt.Sprintf("big.csv:%d: too many samples: metric latency has more than %d samples", MaxSamples+2, MaxSamples)) {
		t.Errorf("reading %d samples: %v", MaxSamples+1, err)
	}
}

// TestRecordsAreAlwaysJSON: random samples with ties, infinities, NaN and
// values near the float64 range give reports that marshal, with the shift's
// estimate inside its interval.
func TestRecordsAreAlwaysJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(15, 16))
	gen := []func() float64{
		func() float64 { return float64(r.IntN(4)) },
		func() float64 { return r.NormFloat64() },
		func() float64 { return []float64{math.Inf(1), math.Inf(-1), math.NaN(), 1}[r.IntN(4)] },
		func() float64 { return (2*r.Float64() - 1) * math.MaxFloat64 },
		func() float64 { return r.Float64() * 1e160 },
	}
	for i := range 300 {
		side := func() []float64 {
			xs := make([]float64, 5+r.IntN(60))
			for j := range xs {
				xs[j] = gen[(i+r.IntN(2))%len(gen)]()
			}
			return xs
		}
		in := SampleInput{Config: AnalysisConfig{Metrics: []MetricConfig{
			{Name: "a", Direction: DirectionIncrease, NaNStrategy: NaNReplace},
			{Name: "b", EffectSize: EffectSize{Measure: EffectCLES}, Outliers: &OutlierConfig{Strategy: "remove", Factor: 3}},
		}}, Samples: []MetricSamples{{Name: "a", Baseline: side(), Canary: side()}, {Name: "b", Baseline: side(), Canary: side()}}, Final: true}
		rep := MannWhitneyJudge{}.JudgeSamples(in)
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("case %d: %v\n%+v", i, err, in)
		}
		for _, m := range rep.Metrics {
			if m.Tested && !(m.Low <= m.Estimate && m.Estimate <= m.High) {
				t.Fatalf("case %d, %s: estimate %v outside [%v, %v]", i, m.Name, m.Estimate, m.Low, m.High)
			}
		}
	}
}

// BenchmarkJudgeAtTheCap judges one metric with MaxSamples a side (rounded
// latencies, so with ties: the normal approximation), everything included:
// NaN handling, summaries, the test, the estimate and its interval, the
// power. See docs/benchmarks.md for the figures.
func BenchmarkJudgeAtTheCap(b *testing.B) {
	r := rand.New(rand.NewPCG(17, 18))
	s := MetricSamples{Name: "latency", Baseline: make([]float64, MaxSamples), Canary: make([]float64, MaxSamples)}
	for i := range MaxSamples {
		s.Baseline[i] = math.Round(math.Exp(r.NormFloat64()*0.3)*1000) / 1000 * 0.2
		s.Canary[i] = math.Round(math.Exp(r.NormFloat64()*0.3)*1000*1.05) / 1000 * 0.2
	}
	cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency", Direction: DirectionIncrease}}}.WithDefaults()
	b.ReportAllocs()
	for b.Loop() {
		if res := ClassifyMetric(cfg, cfg.Metrics[0], s); !res.Tested {
			b.Fatal(res.Reason)
		}
	}
}
