package analysis

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := MetricConfig{Name: "latency"}
	for _, tc := range []struct {
		name  string
		cfg   AnalysisConfig
		field string // "" = valid
	}{
		{"minimal", AnalysisConfig{Metrics: []MetricConfig{ok}}, ""},
		{"no metrics (the front door defaults apply)", AnalysisConfig{}, ""},
		{"unknown judge", AnalysisConfig{Judge: "bayes"}, "judge"},
		{"bad direction", AnalysisConfig{Metrics: []MetricConfig{ok, {Name: "x", Direction: "up"}}}, "metrics[1].direction"},
		{"bad nan", AnalysisConfig{Metrics: []MetricConfig{{Name: "x", NaNStrategy: "zero"}}}, "metrics[0].nanStrategy"},
		{"duplicate", AnalysisConfig{Metrics: []MetricConfig{ok, ok}}, "metrics[1].name"},
		{"bad measure", AnalysisConfig{Metrics: []MetricConfig{{Name: "x", EffectSize: EffectSize{Measure: "d"}}}}, "metrics[0].effectSize.measure"},
		{"thresholds", AnalysisConfig{Metrics: []MetricConfig{ok}, Thresholds: Thresholds{Pass: 70, Marginal: 80}}, "thresholds"},
		{"confidence", AnalysisConfig{Metrics: []MetricConfig{ok}, ConfidenceLevel: 98}, "confidenceLevel"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (!errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field+":")):
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.field)
		}
	}
}

// A report must always encode: NaN or infinite statistics would break the
// decision record.
func TestReportIsJSONSafe(t *testing.T) {
	t.Parallel()
	in := SampleInput{Config: AnalysisConfig{MinSamples: 3, Metrics: []MetricConfig{
		{Name: "zero-baseline"}, {Name: "empty"}, {Name: "nan", NaNStrategy: NaNReplace},
	}}, Samples: []MetricSamples{
		// Five a side: four cannot reach p < 0.02 (2/70 at best).
		{Name: "zero-baseline", Baseline: []float64{0, 0, 0, 0, 0}, Canary: []float64{1, 2, 3, 4, 5}},
		{Name: "nan", Baseline: []float64{math.NaN(), math.Inf(1), 1, 2}, Canary: []float64{1, 2, 3, math.NaN()}},
	}}
	rep := MannWhitneyJudge{}.JudgeSamples(in)
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if got := rep.Metrics[0].Classification; got != ClassHigh {
		t.Errorf("zero baseline, higher canary: %s", got)
	}
	if v := rep.ToVerdict(); v.Outcome != rep.Outcome || len(v.Checks) != 3 {
		t.Errorf("ToVerdict: %+v", v)
	}
}
