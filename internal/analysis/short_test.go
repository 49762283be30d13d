package analysis

import (
	"strings"
	"testing"
)

func TestReportShort(t *testing.T) {
	t.Parallel()
	errHigh := MetricResult{Name: "error-rate", Classification: ClassHigh, Tested: true, CriticalFailure: true,
		Baseline: SampleSummary{Mean: 0}, Canary: SampleSummary{Mean: 0.2203}}
	p99High := MetricResult{Name: "latency-p99", Classification: ClassHigh, Tested: true,
		Baseline: SampleSummary{Mean: 0.010}, Canary: SampleSummary{Mean: 0.0138}}
	meanPass := MetricResult{Name: "latency-mean", Classification: ClassPass, Tested: true}
	mutedHigh := MetricResult{Name: "latency-p95", Classification: ClassHigh, Tested: true, Muted: true}
	tail := MetricResult{Name: "latency-p99", Classification: ClassHigh, Tested: true, Test: TestTail,
		Baseline: SampleSummary{Mean: 1, Quantile: 0.1}, Canary: SampleSummary{Mean: 1, Quantile: 0.25}}
	prop := MetricResult{Name: "error-rate", Classification: ClassHigh, Tested: true, Test: TestProportion,
		Baseline: SampleSummary{Events: 10, Trials: 1000}, Canary: SampleSummary{Events: 30, Trials: 1000}}
	few := MetricResult{Name: "error-rate", Classification: ClassNoData, Insufficient: true}
	for _, c := range []struct {
		name string
		rep  Report
		want string
	}{
		{"a critical failure first, muted metrics left out",
			Report{Outcome: OutcomeFail, Verdict: ScoreFail, Metrics: []MetricResult{p99High, meanPass, mutedHigh, errHigh}},
			"error-rate high 0% → 22.03% (critical), +1 more"},
		{"without a critical failure, the metrics that were high",
			Report{Outcome: OutcomeFail, Verdict: ScoreFail, Metrics: []MetricResult{p99High, meanPass, mutedHigh}},
			"latency-p99 high +38%"},
		{"the tail test compares the pooled quantiles",
			Report{Outcome: OutcomeFail, Verdict: ScoreFail, Metrics: []MetricResult{tail}}, "latency-p99 high +150%"},
		{"the proportion test compares the shares",
			Report{Outcome: OutcomeFail, Verdict: ScoreFail, Metrics: []MetricResult{prop}}, "error-rate high +200%"},
		{"a pass says its score",
			Report{Outcome: OutcomePass, Verdict: ScorePass, Score: 100, Metrics: []MetricResult{meanPass}}, "score 100.0 (pass)"},
		{"a marginal interval goes on and names what was high",
			Report{Outcome: OutcomePass, Verdict: ScoreMarginal, Score: 80, Metrics: []MetricResult{p99High}}, "score 80.0 (marginal): latency-p99 high +38%"},
		{"a marginal last interval fails",
			Report{Outcome: OutcomeFail, Verdict: ScoreMarginal, Score: 80, Final: true}, "score 80.0 is marginal on the last interval"},
		{"too little data measures longer",
			Report{Outcome: OutcomeExtend, Verdict: ScoreInconclusive, Metrics: []MetricResult{few}}, "too little data for error-rate; measuring longer"},
		{"too little data after the extensions",
			Report{Outcome: OutcomeInconclusive, Verdict: ScoreInconclusive, Extensions: 2, Metrics: []MetricResult{few}}, "too little data for error-rate after 2 extensions"},
		{"many failures are counted, not listed",
			Report{Outcome: OutcomeFail, Verdict: ScoreFail, Metrics: []MetricResult{p99High, p99High, p99High, p99High, p99High}},
			"latency-p99 high +38%, latency-p99 high +38%, latency-p99 high +38%, +2 more"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.rep.Short(); got != c.want {
				t.Errorf("Short() = %q, want %q", got, c.want)
			}
		})
	}
}

// TestShortOfJudgedReport judges real samples and checks the short reason is
// one line without the long reason's statistics.
func TestShortOfJudgedReport(t *testing.T) {
	t.Parallel()
	base := make([]float64, 30)
	can := make([]float64, 30)
	for i := range base {
		base[i] = 0.010 + float64(i%5)*0.0001
		can[i] = 0.030 + float64(i%5)*0.0001
	}
	cfg := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency-p99", Critical: true}}}
	rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: cfg, Samples: []MetricSamples{
		{Name: "latency-p99", Baseline: base, Canary: can}}, Final: true})
	if rep.Outcome != OutcomeFail {
		t.Fatalf("a canary three times slower should fail: %s", rep.Reason)
	}
	s := rep.Short()
	if !strings.HasPrefix(s, "latency-p99 high +") || !strings.HasSuffix(s, "(critical)") || strings.Contains(s, "p=") || len(s) > 80 {
		t.Errorf("Short() = %q, want one line naming latency-p99 high, its change and (critical), without p-values", s)
	}
	if len(rep.Reason) <= len(s) {
		t.Errorf("the full reason %q should say more than the short one %q", rep.Reason, s)
	}
}
