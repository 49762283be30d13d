package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
)

// TestConcurrentDeploysTakeTurns: two canary deploys of one application to
// one environment started together take turns (one deploy per application
// and environment at a time): the later waits, says for whom, and then runs
// on the cluster the first left. Nothing is left behind: one server group
// of the last version serves everything.
func TestConcurrentDeploysTakeTurns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 1}, canary("canary", setWeight(50), model.CanaryStep{Pause: &model.PauseStep{Duration: model.Duration(2 * time.Second)}}, setWeight(100)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)

	first := r.deploy("canary", "v2", nil)
	second := r.deploy("canary", "v3", nil)
	e := r.waitFor(second, 30*time.Second, "to wait for the first deploy", func(e *model.Execution) bool {
		return e.Status.Terminal() || strings.Contains(describe(e), "waiting: execution "+first)
	})
	if e.Status.Terminal() {
		t.Fatalf("the second deploy should wait for the first: %s", describe(e))
	}
	r.mustSucceed(first, time.Minute)
	r.mustSucceed(second, time.Minute)
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v3" || gs[0].Weight != 100 {
		t.Fatalf("after both deploys only v3 should run, with all traffic: %s", groupsString(gs))
	}
}

// TestRollbackDuringADeployIsRefused: a one-click rollback while a canary is
// on its way is refused with what to do instead (cancel the deploy, whose
// abort puts traffic back); doing that leaves v1 serving everything.
func TestRollbackDuringADeployIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 1}, canary("canary", setWeight(50), pauseForApproval(), setWeight(100)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	id := r.deploy("canary", "v2", nil)
	r.waitFor(id, 30*time.Second, "to pause", func(e *model.Execution) bool {
		return e.Status.Terminal() || (len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting)
	})
	_, err := r.c.Rollback(r.ctx(), deploy.RollbackRequest{Application: app, Environment: env})
	if err == nil || !strings.Contains(err.Error(), "is deploying") || !strings.Contains(err.Error(), "gennaker cancel "+id) {
		t.Fatalf("rollback during a deploy: %v", err)
	}
	if _, err := r.c.Cancel(r.ctx(), id, "bad canary"); err != nil {
		t.Fatal(err)
	}
	e := r.wait(id, time.Minute)
	if e.Status != model.ExecutionCanceled {
		t.Fatalf("after cancel: %s", describe(e))
	}
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v1" || gs[0].Weight != 100 {
		t.Fatalf("after canceling the canary v1 should serve everything: %s", groupsString(gs))
	}
}

// TestRollbackDoesNotWaitForADeployNotStarted: an older execution whose
// deploy waits behind an approval does not hold up a one-click rollback;
// approved later, it deploys on the cluster the rollback left.
func TestRollbackDoesNotWaitForADeployNotStarted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	highlander := model.Strategy{Type: model.StrategyRedBlack}
	gated := model.Pipeline{Name: "gated", Parameters: []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{
			{Name: "approve", Judgment: &model.JudgmentStage{Instructions: "ship it?"}},
			{Name: "deploy", Deploy: &model.DeployStage{Environment: env, Strategy: highlander}},
		}}
	r.apply(appOpts{instances: 1}, pipeline("rb", highlander), gated)
	r.mustSucceed(r.deploy("rb", "v1", nil), time.Minute)
	r.mustSucceed(r.deploy("rb", "v2", nil), time.Minute)

	waiting := r.deploy("gated", "v3", nil)
	r.waitFor(waiting, 30*time.Second, "to wait for approval", func(e *model.Execution) bool {
		return e.Status.Terminal() || e.Stages[0].Status == model.StageWaiting
	})
	rb := r.rollback()
	e := r.wait(rb, 30*time.Second)
	if e.Status != model.ExecutionSucceeded {
		t.Fatalf("the rollback should not wait for a deploy that has not started: %s", describe(e))
	}
	if gs := r.groups(); !strings.Contains(groupsString(gs), "v1") {
		t.Fatalf("after the rollback v1 should serve: %s", groupsString(gs))
	}
	if _, err := r.c.Judge(r.ctx(), waiting, model.DecisionApprove, "", "go"); err != nil {
		t.Fatal(err)
	}
	r.mustSucceed(waiting, time.Minute)
	for _, g := range r.groups() {
		if g.Weight == 100 && g.Version != "v3" {
			t.Fatalf("after the approved deploy v3 should serve: %s", groupsString(r.groups()))
		}
	}
}
