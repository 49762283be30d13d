package slo

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestNarrowCanary(t *testing.T) {
	t.Parallel()
	w := func(v int) *int { return &v }
	min := func(m int) model.Duration { return model.Duration(time.Duration(m) * time.Minute) }
	spec := model.CanarySpec{
		Analysis: &model.AnalysisSpec{Interval: min(1), Lifetime: min(3)},
		Steps: []model.CanaryStep{
			{SetWeight: w(20)},
			{Analysis: &model.AnalysisStep{}},
			{Pause: &model.PauseStep{Duration: min(1)}},
			{SetWeight: w(50)},
			{Analysis: &model.AnalysisStep{Interval: min(2), Intervals: 2}},
		},
	}
	got, changes := NarrowCanary(spec, Narrowing{MaxFirstWeight: 5, AnalysisFactor: 2})
	want := model.CanarySpec{
		Analysis: spec.Analysis,
		Steps: []model.CanaryStep{
			{SetWeight: w(5)},
			{Analysis: &model.AnalysisStep{Interval: min(2), Intervals: 3}},
			{Pause: &model.PauseStep{Duration: min(1)}},
			{SetWeight: w(50)},
			{Analysis: &model.AnalysisStep{Interval: min(4), Intervals: 2}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NarrowCanary =\n %+v\nwant\n %+v", got, want)
	}
	wantChanges := []string{
		"step 1: first weight 20% capped at 5%",
		"step 2: analysis intervals 2m0s instead of 1m0s (3 of them)",
		"step 5: analysis intervals 4m0s instead of 2m0s (2 of them)",
	}
	if !reflect.DeepEqual(changes, wantChanges) {
		t.Errorf("changes = %q, want %q", changes, wantChanges)
	}
	if *spec.Steps[0].SetWeight != 20 || spec.Steps[1].Analysis.Interval != 0 {
		t.Errorf("NarrowCanary changed its input: %+v", spec.Steps)
	}
	// A first weight under the cap and a factor of 1 change nothing.
	small := model.CanarySpec{Steps: []model.CanaryStep{{SetWeight: w(2)}, {SetWeight: w(30)}, {Analysis: &model.AnalysisStep{}}}}
	got, changes = NarrowCanary(small, Narrowing{MaxFirstWeight: 5, AnalysisFactor: 1})
	if !reflect.DeepEqual(got, small) || len(changes) != 0 {
		t.Errorf("NarrowCanary(small) = %+v, %q; want it unchanged", got, changes)
	}
}
