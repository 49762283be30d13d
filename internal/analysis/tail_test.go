package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gennaker/gennaker/internal/latency"
)

// hist puts latencies (seconds) into the front door's fine layout.
func hist(lat ...float64) latency.Histogram {
	dense := make([]uint64, latency.NumBuckets)
	for _, s := range lat {
		dense[latency.BucketOf(s)]++
	}
	return latency.Sparse(latency.Bounds, dense)
}

// lognormal draws n latencies with a 20 ms median and shape sigma.
func lognormal(rng *rand.Rand, n int, sigma float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 0.020 * math.Exp(sigma*rng.NormFloat64())
	}
	return out
}

func TestTailThreshold(t *testing.T) {
	t.Parallel()
	ms := func(v float64) float64 { return v / 1000 }
	repeat := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	t.Run("the bound nearest the pooled quantile's share", func(t *testing.T) {
		t.Parallel()
		// 200 requests: 196 at 10 ms, 4 slow ones (2%): the pooled p98 lies in
		// the 10 ms bucket, whose upper bound leaves exactly the 4 above it.
		base := hist(append(repeat(ms(10), 98), ms(50), ms(60))...)
		can := hist(append(repeat(ms(10), 98), ms(70), ms(80))...)
		th, nb, nc, ok := TailThreshold(0.98, base, can)
		if !ok || nb != 2 || nc != 2 || th < ms(10) || th > ms(10)*latency.Growth {
			t.Fatalf("threshold %g (%d and %d above, ok %v), want the 10 ms bucket's upper bound with 2 and 2 above", th, nb, nc, ok)
		}
	})
	t.Run("ties at the threshold stay together", func(t *testing.T) {
		t.Parallel()
		// 10 of 100 requests a side at 30 ms: the pooled p95 falls inside
		// their bucket. Its upper bound leaves none above it, its lower
		// bound all 20; the 30 ms requests are never split between the
		// sides of the threshold, so the lower bound it is.
		base := hist(append(repeat(ms(10), 90), repeat(ms(30), 10)...)...)
		can := hist(append(repeat(ms(10), 90), repeat(ms(30), 10)...)...)
		th, nb, nc, ok := TailThreshold(0.95, base, can)
		if !ok || nb != 10 || nc != 10 || th >= ms(30) || th < ms(30)/latency.Growth {
			t.Fatalf("threshold %g (%d and %d above, ok %v), want the lower bound of the 30 ms bucket with all 10 and 10 above", th, nb, nc, ok)
		}
	})
	t.Run("one bucket for everything", func(t *testing.T) {
		t.Parallel()
		if _, _, _, ok := TailThreshold(0.99, hist(repeat(ms(10), 50)...), hist(repeat(ms(10), 50)...)); ok {
			t.Fatal("one bucket holding every request has no threshold with requests on both sides")
		}
	})
	t.Run("from the pooled requests, not the baseline's", func(t *testing.T) {
		t.Parallel()
		// The baseline's p50 is 10 ms, the canary's 100 ms; pooled, the
		// threshold leaves half of all requests above it: the canary's.
		th, nb, nc, ok := TailThreshold(0.5, hist(repeat(ms(10), 100)...), hist(repeat(ms(100), 100)...))
		if !ok || nb != 0 || nc != 100 || th < ms(10) || th >= ms(100) {
			t.Fatalf("threshold %g (%d and %d above, ok %v), want between 10 and 100 ms with 0 and 100 above", th, nb, nc, ok)
		}
	})
}

func tailSamples(base, can latency.Histogram, q float64) MetricSamples {
	s := MetricSamples{Name: "latency-p99", BaselineLatency: &base, CanaryLatency: &can, Quantile: q}
	for range 50 { // 50 seconds of per-second quantiles: only counted for minSamples
		s.Baseline = append(s.Baseline, base.Quantile(q))
		s.Canary = append(s.Canary, can.Quantile(q))
	}
	return s
}

func TestTailClassification(t *testing.T) {
	t.Parallel()
	cfg := ConfigFor(AnalysisConfig{}).WithDefaults()
	var p99 MetricConfig
	for _, m := range cfg.Metrics {
		if m.Name == "latency-p99" {
			p99 = m
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	slower := 0.5 + math.Log(1.2)/2.3263478740408408 // p99 +20%, median kept
	for _, tc := range []struct {
		name      string
		base, can []float64
		want      Classification
	}{
		{"tail +20% over 2 minutes at 50 req/s", lognormal(rng, 6000, 0.5), lognormal(rng, 6000, slower), ClassHigh},
		{"same distribution", lognormal(rng, 6000, 0.5), lognormal(rng, 6000, 0.5), ClassPass},
		{"tail lighter: direction increase", lognormal(rng, 6000, slower), lognormal(rng, 6000, 0.5), ClassPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ClassifyMetric(cfg, p99, tailSamples(hist(tc.base...), hist(tc.can...), 0.99))
			if r.Classification != tc.want || r.Test != TestTail {
				t.Fatalf("got %s (%s): %s, want %s by the tail test", r.Classification, r.Test, r.Reason, tc.want)
			}
			if r.Baseline.Trials != 6000 || r.Canary.Trials != 6000 || r.Threshold <= 0 || r.Quantile != 0.99 {
				t.Fatalf("recorded %d and %d requests, threshold %g, quantile %g", r.Baseline.Trials, r.Canary.Trials, r.Threshold, r.Quantile)
			}
			// The effect is the pooled p99s' ratio.
			if want := r.Canary.Quantile / r.Baseline.Quantile; math.Abs(r.EffectSize-want) > 1e-12 {
				t.Fatalf("effect %g, want the ratio of the pooled p99s %g", r.EffectSize, want)
			}
		})
	}
	t.Run("a significant 5% is within the allowed 10%", func(t *testing.T) {
		base := lognormal(rng, 200000, 0.5)
		can := lognormal(rng, 200000, 0.5+math.Log(1.05)/2.3263478740408408)
		r := ClassifyMetric(cfg, p99, tailSamples(hist(base...), hist(can...), 0.99))
		if r.Classification != ClassPass || !r.Tested || r.P >= 0.02 || r.EffectSize > 1.1 {
			t.Fatalf("got %s, p=%g, effect %g: %s; want a significant pass within the gate", r.Classification, r.P, r.EffectSize, r.Reason)
		}
	})
	t.Run("histograms of two layouts: the per-second path", func(t *testing.T) {
		coarse := latency.Sparse(latency.CoarseBounds, make([]uint64, len(latency.CoarseBounds)+1))
		s := tailSamples(hist(0.01, 0.02), hist(0.01, 0.02), 0.99)
		s.CanaryLatency = &coarse
		if r := ClassifyMetric(cfg, p99, s); r.Test == TestTail {
			t.Fatalf("tested %s on histograms of different layouts", r.Test)
		}
	})
}

// The tail test rejects at most alpha of pairs of samples from one
// distribution (the threshold is chosen from both sides pooled): 1,000
// intervals of 2,500 requests a side, p99 metric, at 98%.
func TestTailUnderTheNull(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 simulated intervals")
	}
	t.Parallel()
	cfg := ConfigFor(AnalysisConfig{}).WithDefaults()
	rng := rand.New(rand.NewPCG(5, 6))
	rejected, high := 0, 0
	const runs = 1000
	for range runs {
		r := classifyTail(cfg, MetricConfig{Name: "p99", Direction: DirectionEither, EffectSize: EffectSize{AllowedIncrease: 1, AllowedDecrease: 1}},
			tailSamples(hist(lognormal(rng, 2500, 0.5)...), hist(lognormal(rng, 2500, 0.5)...), 0.99), MetricResult{ConfidenceLevel: cfg.ConfidenceLevel})
		if r.Tested && r.P < 0.02 {
			rejected++
		}
		if r.Classification == ClassHigh {
			high++
		}
	}
	t.Logf("rejected %d of %d (alpha 2%%), %d high", rejected, runs, high)
	if limit := runs*0.02 + 3*math.Sqrt(runs*0.02*0.98); float64(rejected) > limit {
		t.Errorf("rejected %d of %d intervals of one distribution, want at most %.0f", rejected, runs, limit)
	}
}

// A stored interval keeps each side's requests, so a replay tests the tail
// on them again (and a record without them replays on the per-second path).
func TestTailRecordReplays(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 9))
	b, c := hist(lognormal(rng, 6000, 0.5)...), hist(lognormal(rng, 6000, 0.6)...)
	s := tailSamples(b, c, 0.99)
	d := IntervalData{Judge: "mannWhitney", Metrics: []FetchedMetric{{Name: "latency-p99", Source: "frontdoor",
		Baseline: s.Baseline, Canary: s.Canary, BaselineLatency: &b, CanaryLatency: &c, Quantile: 0.99}}}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back IntervalData
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	cfg := ConfigFor(AnalysisConfig{})
	before := MannWhitneyJudge{}.JudgeSamples(d.Input(cfg))
	after := MannWhitneyJudge{}.JudgeSamples(back.Input(cfg))
	var got MetricResult
	for _, m := range after.Metrics {
		if m.Name == "latency-p99" {
			got = m
		}
	}
	if got.Test != TestTail || got.Classification != ClassHigh || !reflect.DeepEqual(before.Metrics, after.Metrics) {
		t.Fatalf("replayed %s by %s (%s); want the recorded tail test's result again", got.Classification, got.Test, got.Reason)
	}
}

// On a step's last interval a lone High fails the step, so the tail test
// is judged there at the critical metrics' share of the budget; before the
// last interval, and for metrics tested per second, at the config's level.
func TestTailSplitOnTheLastInterval(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(10, 11))
	b, c := hist(lognormal(rng, 2500, 0.5)...), hist(lognormal(rng, 2500, 0.5)...)
	tail := tailSamples(b, c, 0.99)
	perSecond := MetricSamples{Name: "latency-p95", Baseline: tail.Baseline, Canary: tail.Canary}
	for _, tc := range []struct {
		final     bool
		intervals int
		tail, p95 float64
	}{
		{false, 3, 0.98, 0.98},
		{true, 3, IntervalConfidence(0.98, 3), 0.98},
		{true, 1, 0.98, 0.98},
	} {
		rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: ConfigFor(AnalysisConfig{}), Final: tc.final, Intervals: tc.intervals,
			Samples: []MetricSamples{tail, perSecond}})
		for _, m := range rep.Metrics {
			want := map[string]float64{"latency-p99": tc.tail, "latency-p95": tc.p95}[m.Name]
			if want != 0 && m.ConfidenceLevel != want {
				t.Errorf("final %v of %d intervals: %s judged at %g, want %g", tc.final, tc.intervals, m.Name, m.ConfidenceLevel, want)
			}
		}
	}
}
