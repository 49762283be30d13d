package engine

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestFillEventNamesVersionAndEnvironment: an event that does not name its
// version and environment (execution finished, a manual step) gets the
// execution's version parameter and the one environment it deploys to; a
// rollback keeps the versions it recorded.
func TestFillEventNamesVersionAndEnvironment(t *testing.T) {
	t.Parallel()
	one := model.Pipeline{Stages: []model.StageSpec{
		{Name: "approve", Judgment: &model.JudgmentStage{}},
		{Name: "deploy", Deploy: &model.DeployStage{Environment: "prod"}},
	}}
	two := model.Pipeline{Stages: []model.StageSpec{
		{Name: "staging", Deploy: &model.DeployStage{Environment: "staging"}},
		{Name: "prod", Deploy: &model.DeployStage{Environment: "prod"}},
	}}
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name              string
		spec              model.Pipeline
		ev                model.Event
		wantEnv, wantVers string
	}{
		{"finished: the execution's version and environment", one, model.Event{Kind: model.EventExecutionFinished}, "prod", "v3"},
		{"several environments name none", two, model.Event{Kind: model.EventExecutionFinished}, "", "v3"},
		{"a rollback keeps its own versions", one, model.Event{Kind: model.EventRolledBack, Version: "v2", FromVersion: "v3"}, "prod", "v2"},
		{"a rollback without a version is not given the deployed one", one, model.Event{Kind: model.EventRolledBack}, "prod", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			exec := &model.Execution{ID: "e1", Application: "app", Spec: c.spec, Params: map[string]string{"version": "v3"}}
			ev := c.ev
			fillEvent(&ev, exec, "", now)
			if ev.Environment != c.wantEnv || ev.Version != c.wantVers {
				t.Errorf("environment %q, version %q; want %q, %q", ev.Environment, ev.Version, c.wantEnv, c.wantVers)
			}
		})
	}
}
