package model

import (
	"errors"
	"strings"
	"testing"
)

// Each config here says something the judge cannot do: a setting that can
// never change a verdict, or one that quietly turns into another. Each must
// be refused, naming the field.
func TestAnalysisProblemsRefuseConfigsThatCannotDoWhatTheySay(t *testing.T) {
	t.Parallel()
	latency := func(e EffectSize) AnalysisMetric {
		return AnalysisMetric{Name: "latency", Group: "latency", Direction: DirectionIncrease, EffectSize: e}
	}
	errorsIn := func(group string) AnalysisMetric {
		return AnalysisMetric{Name: "errors", Group: group, Direction: DirectionIncrease, Critical: true}
	}
	one := func(ms ...AnalysisMetric) AnalysisSpec { return AnalysisSpec{Metrics: ms} }
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name  string
		spec  AnalysisSpec
		field string
	}{
		// A CLES is at most 1: a metric allowed 1.1 can never fail.
		{"cles allowedIncrease above 1", one(latency(EffectSize{Measure: EffectCLES, AllowedIncrease: 1.1})), "metrics[0].effectSize.allowedIncrease"},
		{"cles allowedIncrease of 1", one(latency(EffectSize{Measure: EffectCLES, AllowedIncrease: 1})), "metrics[0].effectSize.allowedIncrease"},
		{"cles allowedIncrease below no effect", one(latency(EffectSize{Measure: EffectCLES, AllowedIncrease: 0.3})), "metrics[0].effectSize.allowedIncrease"},
		{"cles allowedDecrease above no effect", one(AnalysisMetric{Name: "rps", EffectSize: EffectSize{Measure: EffectCLES, AllowedDecrease: 0.7}}), "metrics[0].effectSize.allowedDecrease"},
		{"cles criticalIncrease of 1", one(AnalysisMetric{Name: "e", Critical: true, Direction: DirectionIncrease, EffectSize: EffectSize{Measure: EffectCLES, CriticalIncrease: 1}}), "metrics[0].effectSize.criticalIncrease"},
		{"cles powerEffect beyond a CLES of 1", one(latency(EffectSize{Measure: EffectCLES, PowerEffect: 0.5})), "metrics[0].effectSize.powerEffect"},
		{"negative meanRatio allowedIncrease", one(latency(EffectSize{AllowedIncrease: -2})), "metrics[0].effectSize.allowedIncrease"},
		{"meanRatio allowedIncrease below 1", one(latency(EffectSize{AllowedIncrease: 0.9})), "metrics[0].effectSize.allowedIncrease"},
		{"negative meanRatio allowedDecrease", one(AnalysisMetric{Name: "rps", EffectSize: EffectSize{AllowedDecrease: -0.5}}), "metrics[0].effectSize.allowedDecrease"},
		{"meanRatio allowedDecrease above 1", one(AnalysisMetric{Name: "rps", EffectSize: EffectSize{AllowedDecrease: 1.2}}), "metrics[0].effectSize.allowedDecrease"},
		{"negative criticalDecrease", one(AnalysisMetric{Name: "rps", Critical: true, EffectSize: EffectSize{CriticalDecrease: -1}}), "metrics[0].effectSize.criticalDecrease"},
		{"negative powerEffect", one(latency(EffectSize{PowerEffect: -0.2})), "metrics[0].effectSize.powerEffect"},
		// Only an effect beyond allowedIncrease is high: a critical limit below it is never the one that decides.
		{"criticalIncrease below allowedIncrease", one(AnalysisMetric{Name: "e", Critical: true, Direction: DirectionIncrease, EffectSize: EffectSize{AllowedIncrease: 1.5, CriticalIncrease: 1.2}}), "metrics[0].effectSize.criticalIncrease"},
		{"criticalIncrease on a metric that is not critical", one(latency(EffectSize{CriticalIncrease: 2})), "metrics[0].effectSize.criticalIncrease"},
		{"allowedDecrease where only increases count", one(latency(EffectSize{AllowedDecrease: 0.8})), "metrics[0].effectSize.allowedDecrease"},
		{"allowedIncrease where only decreases count", one(AnalysisMetric{Name: "rps", Direction: DirectionDecrease, EffectSize: EffectSize{AllowedIncrease: 1.2}}), "metrics[0].effectSize.allowedIncrease"},
		// IQR fences with a negative factor cross: every sample goes.
		{"negative outlier factor", one(AnalysisMetric{Name: "x", Outliers: &OutlierSpec{Factor: -1}}), "metrics[0].outliers.factor"},
		{"outlier factor with strategy keep", one(AnalysisMetric{Name: "x", Outliers: &OutlierSpec{Strategy: "keep", Factor: 2}}), "metrics[0].outliers.factor"},
		{"negative minSamples", AnalysisSpec{MinSamples: -5, Metrics: []AnalysisMetric{latency(EffectSize{})}}, "minSamples"},
		{"negative maxExtensions", AnalysisSpec{MaxExtensions: -1}, "maxExtensions"},
		// The interval holds the shift: it never clears tolerance × |shift| >= |shift|.
		{"tolerance of 1", AnalysisSpec{Tolerance: 1}, "tolerance"},
		{"every metric muted", one(AnalysisMetric{Name: "a", Muted: true}, AnalysisMetric{Name: "b", Muted: true}), "metrics"},
		// Groups without a weight share what is left of 100: nothing.
		{"weights of 100 with another group", AnalysisSpec{Groups: []AnalysisGroup{{Name: "errors", Weight: 100}},
			Metrics: []AnalysisMetric{latency(EffectSize{}), errorsIn("errors")}}, "groups"},
		{"weights above 100 with another group", AnalysisSpec{Groups: []AnalysisGroup{{Name: "errors", Weight: 70}, {Name: "latency", Weight: 40}},
			Metrics: []AnalysisMetric{latency(EffectSize{}), errorsIn("errors"), {Name: "cpu"}}}, "groups"},
		{"weight of a group no metric is in", AnalysisSpec{Groups: []AnalysisGroup{{Name: "latnecy", Weight: 50}},
			Metrics: []AnalysisMetric{latency(EffectSize{}), errorsIn("errors")}}, "groups[0].name"},
		{"group weight 0", AnalysisSpec{Groups: []AnalysisGroup{{Name: "latency"}}, Metrics: []AnalysisMetric{latency(EffectSize{})}}, "groups[0].weight"},
		{"group listed twice", AnalysisSpec{Groups: []AnalysisGroup{{Name: "latency", Weight: 50}, {Name: "latency", Weight: 20}},
			Metrics: []AnalysisMetric{latency(EffectSize{}), errorsIn("errors")}}, "groups[1].name"},
		// The threshold judge ignores the statistical judge's settings, and the other way round.
		{"metrics under the threshold judge", AnalysisSpec{Judge: JudgeThreshold, Metrics: []AnalysisMetric{latency(EffectSize{})}}, "metrics"},
		{"minSamples under the threshold judge", AnalysisSpec{Judge: JudgeThreshold, MinSamples: 20}, "minSamples"},
		{"maxLatencyRatio without the threshold judge", AnalysisSpec{MaxLatencyRatio: f(1.2)}, "maxLatencyRatio"},
		{"negative minRequests", AnalysisSpec{Judge: JudgeThreshold, MinRequests: -1}, "minRequests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.spec.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("accepted; want a problem with %s", tc.field)
			}
			var fields []string
			for _, p := range tc.spec.Problems() {
				fields = append(fields, p.Field)
				if p.Field == tc.field && !strings.Contains(p.Message, ":") {
					t.Errorf("%s: %q does not say what to do", p.Field, p.Message)
				}
			}
			if !strings.Contains(","+strings.Join(fields, ",")+",", ","+tc.field+",") {
				t.Errorf("problems name %v, want %s", fields, tc.field)
			}
		})
	}
}

// The edges of each range are configs that do what they say.
func TestAnalysisProblemsAcceptTheEdges(t *testing.T) {
	t.Parallel()
	no := false
	for _, tc := range []struct {
		name string
		spec AnalysisSpec
	}{
		{"no metrics (the defaults)", AnalysisSpec{}},
		{"cles at no effect", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "x", EffectSize: EffectSize{Measure: EffectCLES, AllowedIncrease: 0.5, AllowedDecrease: 0.5}}}}},
		{"cles just below 1", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "x", Critical: true, EffectSize: EffectSize{Measure: EffectCLES, AllowedIncrease: 0.7, CriticalIncrease: 0.99, AllowedDecrease: 0.3, CriticalDecrease: 0.01, PowerEffect: 0.49}}}}},
		{"meanRatio at no effect", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "x", EffectSize: EffectSize{AllowedIncrease: 1, AllowedDecrease: 1}}}}},
		{"critical limits at the allowed ones", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "x", Critical: true, EffectSize: EffectSize{AllowedIncrease: 1.2, CriticalIncrease: 1.2, AllowedDecrease: 0.8, CriticalDecrease: 0.8}}}}},
		{"critical error counter that may be silent", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "x", Critical: true, MustHaveData: &no}}}},
		{"zero means the default", AnalysisSpec{MinSamples: 0, MaxExtensions: 0, Tolerance: 0, Metrics: []AnalysisMetric{{Name: "x", Outliers: &OutlierSpec{}}}}},
		{"tolerance just below 1", AnalysisSpec{Tolerance: 0.99}},
		{"weights below 100 with another group", AnalysisSpec{Groups: []AnalysisGroup{{Name: "errors", Weight: 60}},
			Metrics: []AnalysisMetric{{Name: "e", Group: "errors"}, {Name: "l", Group: "latency"}}}},
		{"every group weighed, over 100", AnalysisSpec{Groups: []AnalysisGroup{{Name: "errors", Weight: 100}, {Name: "latency", Weight: 50}},
			Metrics: []AnalysisMetric{{Name: "e", Group: "errors"}, {Name: "l", Group: "latency"}}}},
		{"a weight for the default group", AnalysisSpec{Groups: []AnalysisGroup{{Name: DefaultGroup, Weight: 30}},
			Metrics: []AnalysisMetric{{Name: "e"}, {Name: "l", Group: "latency"}}}},
		{"weights of 100 and a group of muted metrics", AnalysisSpec{Groups: []AnalysisGroup{{Name: "errors", Weight: 60}, {Name: "latency", Weight: 40}},
			Metrics: []AnalysisMetric{{Name: "e", Group: "errors"}, {Name: "l", Group: "latency"}, {Name: "rps", Muted: true}}}},
		{"one metric muted", AnalysisSpec{Metrics: []AnalysisMetric{{Name: "a", Muted: true}, {Name: "b"}}}},
		{"threshold judge", AnalysisSpec{Judge: JudgeThreshold, MinRequests: 10, MaxExtensions: 2}},
	} {
		if ps := tc.spec.Problems(); len(ps) > 0 {
			t.Errorf("%s: %v", tc.name, ps)
		}
	}
}
