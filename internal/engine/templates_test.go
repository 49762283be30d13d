package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestResolveTemplates(t *testing.T) {
	t.Parallel()
	ten := 10
	pl := model.Pipeline{Name: "release", Application: "checkout", Stages: []model.StageSpec{
		{Name: "wait", Wait: &model.WaitStage{}},
		{Name: "prod", Deploy: &model.DeployStage{Environment: "prod", Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
			Steps: []model.CanaryStep{{SetWeight: &ten}, {Analysis: &model.AnalysisStep{TemplateRef: "golden", Intervals: 2}}, {Analysis: &model.AnalysisStep{}}},
		}}}},
	}}
	golden := &model.AnalysisTemplate{Name: "golden", Spec: model.AnalysisSpec{MinSamples: 30, Thresholds: model.ScoreThresholds{Pass: 90}}}
	lookups := 0
	got, err := ResolveTemplates(pl, func(name string) (*model.AnalysisTemplate, error) {
		lookups++
		if name != "golden" {
			return nil, errors.New("unknown")
		}
		return golden, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := got.Stages[1].Deploy.Strategy.Canary.Steps
	if r := steps[1].Analysis.Resolved; r == nil || r.MinSamples != 30 || steps[1].Analysis.Intervals != 2 || lookups != 1 {
		t.Errorf("resolved step = %+v (lookups %d)", steps[1].Analysis, lookups)
	}
	if steps[2].Analysis.Resolved != nil {
		t.Errorf("a step without templateRef got %+v", steps[2].Analysis.Resolved)
	}
	if pl.Stages[1].Deploy.Strategy.Canary.Steps[1].Analysis.Resolved != nil {
		t.Error("the pipeline given was changed")
	}
	golden.Spec.MinSamples = 99
	if steps[1].Analysis.Resolved.MinSamples != 30 {
		t.Error("the resolved config follows later changes of the template")
	}

	pl.Stages[1].Deploy.Strategy.Canary.Steps[1].Analysis.TemplateRef = "gone"
	_, err = ResolveTemplates(pl, func(string) (*model.AnalysisTemplate, error) { return nil, errors.New("it does not exist") })
	if err == nil || !strings.Contains(err.Error(), `stage prod, canary step 2: analysis template "gone": it does not exist`) {
		t.Errorf("missing template: %v", err)
	}
}
