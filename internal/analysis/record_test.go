package analysis

import (
	"encoding/json"
	"math"
	"testing"
)

// TestSamplesKeepNaNAsNull: NaN is null and ±Inf is ±MaxFloat64 in JSON, and
// both read back as they were, so a replay judges the infinite samples the
// judge saw (they used to come back as NaN, which the NaN strategy removes).
func TestSamplesKeepNaNAsNull(t *testing.T) {
	t.Parallel()

	b, err := json.Marshal(Samples{1, math.NaN(), 2.5, math.Inf(1), math.Inf(-1)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "[1,null,2.5,1.7976931348623157e+308,-1.7976931348623157e+308]" {
		t.Errorf("encoded %s", b)
	}
	var back Samples
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 5 || back[0] != 1 || !math.IsNaN(back[1]) || back[2] != 2.5 || !math.IsInf(back[3], 1) || !math.IsInf(back[4], -1) {
		t.Errorf("decoded %v", back)
	}
}

func TestRejudgeWithLooserConfigPasses(t *testing.T) {
	t.Parallel()

	base := make(Samples, 20)
	can := make(Samples, 20)
	for i := range base {
		base[i] = 10 + float64(i%5)*0.1
		can[i] = 11 + float64(i%5)*0.1 // 10% slower, clearly significant
	}
	d := IntervalData{Judge: "mann-whitney", Final: true, Metrics: []FetchedMetric{{Name: "latency", Baseline: base, Canary: can}}}
	strict := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency", Direction: DirectionIncrease}}}
	loose := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency", Direction: DirectionIncrease, EffectSize: EffectSize{AllowedIncrease: 1.2}}}}

	if got := Rejudge(MannWhitneyJudge{}, d, strict); got.Outcome != OutcomeFail {
		t.Errorf("strict config: want fail, got %s (%s)", got.Outcome, got.Reason)
	}
	if got := Rejudge(MannWhitneyJudge{}, d, loose); got.Outcome != OutcomePass {
		t.Errorf("allowing a 20%% increase: want pass, got %s (%s)", got.Outcome, got.Reason)
	}
}

func TestReplaySummarizesBothDecisions(t *testing.T) {
	t.Parallel()

	base := make(Samples, 20)
	can := make(Samples, 20)
	for i := range base {
		base[i] = 10 + float64(i%5)*0.1
		can[i] = 11 + float64(i%5)*0.1
	}
	rec := RecordedInterval{Stage: "canary", Sequence: 1, Outcome: string(OutcomeFail), Reason: "latency high",
		Data: IntervalData{Judge: "mann-whitney", Final: true, Metrics: []FetchedMetric{{Name: "latency", Baseline: base, Canary: can}}}}
	loose := AnalysisConfig{Metrics: []MetricConfig{{Name: "latency", Direction: DirectionIncrease, EffectSize: EffectSize{AllowedIncrease: 1.2}}}}
	res := Replay(MannWhitneyJudge{}, []RecordedInterval{rec}, loose)
	if res.Recorded != "fails at stage canary interval 1: latency high" {
		t.Errorf("recorded summary: %q", res.Recorded)
	}
	if res.Replayed != "passes all 1 intervals" || res.Intervals[0].Replayed.Outcome != OutcomePass {
		t.Errorf("replayed summary: %q (%+v)", res.Replayed, res.Intervals[0].Replayed)
	}
}
