package stage

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestFirstTurnSeesDeploysInWaves: a deploy to prod-us waits for an older
// execution whose deploy in waves lists prod-us and has not ended, and not
// for one whose waves leave prod-us out.
func TestFirstTurnSeesDeploysInWaves(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	waves := func(id string, envs ...string) model.Execution {
		return model.Execution{ID: id, CreatedAt: t0,
			Spec:   model.Pipeline{Stages: []model.StageSpec{{Name: "waves", Deploy: &model.DeployStage{Environments: envs}}}},
			Stages: []model.Stage{{Name: "waves", Status: model.StageRunning}}}
	}
	me := &model.Execution{ID: "me", CreatedAt: t0.Add(time.Minute)}
	if got := firstTurn([]model.Execution{waves("older", "prod-eu", "prod-us")}, me, "prod-us", false); got.exec != "older" {
		t.Errorf("firstTurn = %+v, want the older deploy in waves first", got)
	}
	if got := firstTurn([]model.Execution{waves("older", "prod-eu", "prod-ap")}, me, "prod-us", false); got.exec != "" {
		t.Errorf("firstTurn = %+v, want none: the waves leave prod-us out", got)
	}
}
