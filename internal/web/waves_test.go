package web

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestBuildExecShowsWaves: a deploy in waves' output becomes the wave
// table (every environment with its wave and phase), not raw JSON or a
// one-environment deploy block.
func TestBuildExecShowsWaves(t *testing.T) {
	t.Parallel()
	out := model.WaveOutput{Summary: "wave 2 of 3: deploying to us", Version: "v2", Wave: 2, Waves: 3, Environments: []model.WaveEnvOutput{
		{Name: "eu", Wave: 1, Phase: model.WaveEnvSucceeded}, {Name: "us", Wave: 2, Phase: model.WaveEnvDeploying}, {Name: "ap", Wave: 3, Phase: model.WaveEnvPending}}}
	raw, _ := json.Marshal(out)
	now := time.Now()
	e := &model.Execution{ID: "e1", CreatedAt: now, Spec: model.Pipeline{Stages: []model.StageSpec{{Name: "waves",
		Deploy: &model.DeployStage{Environments: []string{"eu", "us", "ap"}}}}},
		Stages: []model.Stage{{Name: "waves", Type: model.StageDeploy, Status: model.StageRunning, Output: raw}}}
	v := buildExec(e, now)
	sv := v.Stages[0]
	if sv.Waves == nil || sv.Deploy != nil || sv.Raw != "" {
		t.Fatalf("waves %v, deploy %v, raw %q: want the wave table only", sv.Waves, sv.Deploy, sv.Raw)
	}
	if len(sv.Waves.Environments) != 3 || sv.Waves.Environments[1].Phase != model.WaveEnvDeploying {
		t.Errorf("environments %+v", sv.Waves.Environments)
	}
}
