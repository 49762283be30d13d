package analysis

import (
	"encoding/json"
	"strings"
	"testing"
)

func series(start, step float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + step*float64(i)
	}
	return out
}

// A critical metric that may have no data (mustHaveData: false) and has
// none is left out of the score; the run passes on the others and the
// reason names the metric and why. (It used to fail with score 0 and a
// reason that named nothing.)
func TestCriticalMetricThatMayHaveNoDataIsNamedNotFailed(t *testing.T) {
	t.Parallel()
	no := false
	rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Final: true, Config: AnalysisConfig{Metrics: []MetricConfig{
		{Name: "latency", Direction: DirectionIncrease},
		{Name: "errors", Direction: DirectionIncrease, Critical: true, MustHaveData: &no},
	}}, Samples: []MetricSamples{{Name: "latency", Baseline: series(100, 1, 30), Canary: series(100, 1, 30)}}})
	if rep.Outcome != OutcomePass || rep.Score != 100 {
		t.Errorf("outcome %s, score %v; want pass, 100: %s", rep.Outcome, rep.Score, rep.Reason)
	}
	for _, want := range []string{"not scored: errors (no data (baseline 0, canary 0 samples)", "mustHaveData: false", "critical metric cannot fail"} {
		if !strings.Contains(rep.Reason, want) {
			t.Errorf("reason %q does not say %q", rep.Reason, want)
		}
	}
	if m := rep.Metrics[1]; m.CriticalFailure || m.Classification != ClassNoData {
		t.Errorf("errors: %+v", m)
	}
}

// Weights that leave the groups with data nothing (a replay with an old
// config; validation refuses them now) say so, instead of "no metric had
// data to score" beside metrics with 30 samples each, and do not wait for
// data that cannot help.
func TestGroupsThatWeighNothingAreNamed(t *testing.T) {
	t.Parallel()
	rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: AnalysisConfig{
		Groups:  []GroupConfig{{Name: "latnecy", Weight: 100}},
		Metrics: []MetricConfig{{Name: "latency", Group: "latency"}},
	}, Samples: []MetricSamples{{Name: "latency", Baseline: series(100, 1, 30), Canary: series(100, 1, 30)}}})
	if rep.Outcome != OutcomeInconclusive || !strings.Contains(rep.Reason, "groups that had data (latency) weigh 0") {
		t.Errorf("outcome %s: %s", rep.Outcome, rep.Reason)
	}

	// A high metric in a group weighing 0 cannot lower the score: say so
	// beside the pass.
	rep = MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: AnalysisConfig{
		Groups: []GroupConfig{{Name: "errors", Weight: 100}},
		Metrics: []MetricConfig{
			{Name: "latency", Group: "latency", Direction: DirectionIncrease},
			{Name: "errors", Group: "errors", Direction: DirectionIncrease},
		},
	}, Samples: []MetricSamples{
		{Name: "latency", Baseline: series(100, 1, 30), Canary: series(146, 1, 30)},
		{Name: "errors", Baseline: series(1, 0, 30), Canary: series(1, 0, 30)},
	}})
	if !strings.Contains(rep.Reason, "latency high") || !strings.Contains(rep.Reason, "in group latency, which weighs 0") {
		t.Errorf("reason: %s", rep.Reason)
	}
}

// A metric that was not tested records its test statistics as null: "p": 0
// and "cles": 0 would read as a highly significant difference.
func TestUntestedStatisticsAreNullInRecords(t *testing.T) {
	t.Parallel()
	rep := MannWhitneyJudge{}.JudgeSamples(SampleInput{Config: AnalysisConfig{Metrics: []MetricConfig{
		{Name: "tested"}, {Name: "identical"}, {Name: "empty"},
	}}, Samples: []MetricSamples{
		{Name: "tested", Baseline: series(100, 1, 30), Canary: series(140, 1, 30)},
		{Name: "identical", Baseline: series(100, 1, 30), Canary: series(100, 1, 30)},
	}})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Metrics []map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	stats := []string{"u", "p", "exact", "estimate", "low", "high", "tolerance", "cles", "power"}
	for _, m := range got.Metrics {
		for _, k := range append(stats, "effectSize") {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s: no %s", m["name"], k)
				continue
			}
			wantNull := m["name"] != "tested" && (k != "effectSize" || m["name"] == "empty")
			if (v == nil) != wantNull {
				t.Errorf("%s: %s = %v, want null: %v", m["name"], k, v, wantNull)
			}
		}
	}

	// Records decode back, null as 0 beside tested false.
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Metrics[0].P != rep.Metrics[0].P || back.Metrics[0].CLES != rep.Metrics[0].CLES || back.Metrics[2].P != 0 || back.Metrics[2].Tested {
		t.Errorf("decoded %+v", back.Metrics)
	}
}
