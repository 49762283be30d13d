package analysis

import (
	"testing"

	"github.com/gennaker/gennaker/internal/analysis/stats"
)

// perSecond spreads events over seconds of `rate` trials each: the
// per-second error shares and requests the front door hands the judge.
func perSecond(seconds, rate int, events int) (shares []float64, trials []uint64) {
	for i := range seconds {
		k := events / seconds
		if i < events%seconds {
			k++
		}
		shares = append(shares, float64(k)/float64(rate))
		trials = append(trials, uint64(rate))
	}
	return shares, trials
}

func errorRate(baseEvents, canEvents int) MetricSamples {
	s := MetricSamples{Name: "error-rate"}
	s.Baseline, s.BaselineTrials = perSecond(50, 50, baseEvents)
	s.Canary, s.CanaryTrials = perSecond(50, 50, canEvents)
	return s
}

func TestProportionClassification(t *testing.T) {
	t.Parallel()
	cfg := ConfigFor(AnalysisConfig{}).WithDefaults()
	m := DefaultMetrics()[0] // error-rate, critical
	for _, tc := range []struct {
		name       string
		s          MetricSamples
		want       Classification
		test       TestKind
		critical   bool
		canEvents  uint64
		baseTrials uint64
	}{
		{"5xx 1% -> 3% over 50 s at 50 req/s", errorRate(25, 75), ClassHigh, TestProportion, true, 75, 2500},
		{"5xx 1% -> 1.2%: within chance", errorRate(25, 30), ClassPass, TestProportion, false, 30, 2500},
		{"fewer errors: direction increase", errorRate(25, 5), ClassPass, TestProportion, false, 5, 2500},
		{"no errors on either side", errorRate(0, 0), ClassPass, TestProportion, false, 0, 2500},
		{"one error against none is no evidence", errorRate(0, 1), ClassPass, TestProportion, false, 1, 2500},
		{"without trials: Mann-Whitney on the shares", MetricSamples{Name: "error-rate", Baseline: errorRate(25, 75).Baseline, Canary: errorRate(25, 75).Canary},
			ClassHigh, TestMannWhitney, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := ClassifyMetric(cfg, m, tc.s)
			if r.Classification != tc.want || r.Test != tc.test || r.CriticalFailure != tc.critical {
				t.Fatalf("got %s by %s (critical failure %v): %s; want %s by %s (%v)", r.Classification, r.Test, r.CriticalFailure, r.Reason, tc.want, tc.test, tc.critical)
			}
			if r.Canary.Events != tc.canEvents || r.Baseline.Trials != tc.baseTrials {
				t.Errorf("counted %d canary events and %d baseline trials, want %d and %d", r.Canary.Events, r.Baseline.Trials, tc.canEvents, tc.baseTrials)
			}
		})
	}
}

// The critical metric's false-alarm budget is split among the step's
// intervals: an increase significant at 2% but not at 2%/3 fails a
// one-interval step and passes each interval of a three-interval step.
func TestCriticalBudgetSplitAmongIntervals(t *testing.T) {
	t.Parallel()
	s := errorRate(25, 46)
	p, err := stats.Proportions(46, 2500, 25, 2500, stats.Options{})
	if err != nil || p.P >= 0.02 || p.P <= 0.02/3 {
		t.Fatalf("the premise needs 0.02/3 < p < 0.02; p = %v (%v)", p.P, err)
	}
	cfg := AnalysisConfig{Metrics: DefaultMetrics()[:1]}
	for _, tc := range []struct {
		intervals int
		want      Outcome
		level     float64
	}{{0, OutcomeFail, 0.98}, {1, OutcomeFail, 0.98}, {3, OutcomePass, 1 - 0.02/3}} {
		rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: cfg, Samples: []MetricSamples{s}, Intervals: tc.intervals})
		if rep.Outcome != tc.want || rep.Metrics[0].ConfidenceLevel != tc.level || rep.ConfidenceLevel != tc.level {
			t.Errorf("%d intervals: %s at %v (metric at %v), want %s at %v: %s", tc.intervals, rep.Outcome, rep.ConfidenceLevel,
				rep.Metrics[0].ConfidenceLevel, tc.want, tc.level, rep.Reason)
		}
	}
	// Only critical metrics are split: a scored metric keeps the config's level.
	lat := MetricSamples{Name: "latency-mean", Baseline: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Canary: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: AnalysisConfig{Metrics: DefaultMetrics()[3:]}, Samples: []MetricSamples{lat}, Intervals: 3})
	if got := rep.Metrics[0].ConfidenceLevel; got != 0.98 {
		t.Errorf("a non-critical metric was judged at %v, want the config's 0.98", got)
	}
}

// Records keep the trials and the planned intervals, so a replay judges
// the same way.
func TestIntervalDataKeepsTrialsAndIntervals(t *testing.T) {
	t.Parallel()
	s := errorRate(25, 46)
	d := IntervalData{Intervals: 3, Metrics: []FetchedMetric{{Name: s.Name, Baseline: s.Baseline, Canary: s.Canary, BaselineTrials: s.BaselineTrials, CanaryTrials: s.CanaryTrials}}}
	in := d.Input(AnalysisConfig{Metrics: DefaultMetrics()[:1]})
	if in.Intervals != 3 || !counted(in.Samples[0]) {
		t.Fatalf("input lost the intervals (%d) or the trials: %+v", in.Intervals, in.Samples[0])
	}
}
