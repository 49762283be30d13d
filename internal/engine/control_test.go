package engine

import (
	"errors"
	"slices"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestTransitionRetried(t *testing.T) {
	t.Parallel()
	failed := func() *model.Execution {
		exec := pipelineRun(t, "a b<-a c<-b d", "a=succeeded", "b=failed", "c=skipped", "d=skipped")
		findStage(exec, "c").Reason = `not run: stage "b" failed`
		findStage(exec, "d").Reason = "condition `if: false` is false"
		findStage(exec, "b").State = []byte(`{"phase":"abort"}`)
		exec.Status, exec.Reason = model.ExecutionFailed, `stage "b" failed`
		return exec
	}
	eff, err := Transition(failed(), Retried{Stage: "b", Actor: "ada"}, tNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"b failed->running wake 0s",
		"c skipped->pending",
		"event manual_step retry b",
		"job b",
	}
	if got := effectLines(eff); !slices.Equal(got, want) {
		t.Fatalf("effects:\n got %q\nwant %q", got, want)
	}
	if !eff.Reopen {
		t.Fatal("the retry does not reopen the execution")
	}
	if b := eff.Stages[0].Stage; b.State != nil || b.Reason != "" || b.Attempt != 1 {
		t.Fatalf("the retried stage keeps its old run: state %s, reason %q, attempt %d", b.State, b.Reason, b.Attempt)
	}
	if ev := eff.Events[0]; ev.Actor != "ada" {
		t.Fatalf("the retry's event names %q, want ada", ev.Actor)
	}

	refused := []struct {
		name string
		exec func() *model.Execution
		ev   Retried
	}{
		{"a running execution", func() *model.Execution { return pipelineRun(t, "a", "a=failed") }, Retried{Stage: "a"}},
		{"a stage that succeeded", failed, Retried{Stage: "a"}},
	}
	for _, c := range refused {
		if _, err := Transition(c.exec(), c.ev, tNow); !errors.Is(err, ErrNotControllable) {
			t.Errorf("%s: got %v, want ErrNotControllable", c.name, err)
		}
	}
}

func canaryRun(t *testing.T, status model.StageStatus, state string) *model.Execution {
	t.Helper()
	exec := &model.Execution{ID: "exec-1", Pipeline: "ship", Status: model.ExecutionRunning, Version: 7}
	exec.Spec.Stages = []model.StageSpec{{Name: "canary", Deploy: &model.DeployStage{Environment: "prod",
		Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{{Pause: &model.PauseStep{}}}}}}}}
	exec.Stages = []model.Stage{{ExecutionID: "exec-1", Name: "canary", Type: model.StageDeploy, Status: status, State: []byte(state), Version: 4}}
	return exec
}

// A running canary's plan, at its pause (step 3 of 6).
const canaryAtPause = `{"phase":"run","environment":"prod","next":2,"plan":{"steps":[
	{"action":"create","ref":"new"},{"action":"wait-healthy","ref":"new"},{"action":"pause"},
	{"action":"set-traffic","weights":{"new":100}},{"action":"mark-good","ref":"new"},{"action":"disable","ref":"app-v001"}]}}`

func TestTransitionControlled(t *testing.T) {
	t.Parallel()
	j := model.Judgment{Decision: model.DecisionPromote, Actor: "ada", At: tNow}
	eff, err := Transition(canaryRun(t, model.StageWaiting, canaryAtPause), Controlled{Stage: "canary", Judgment: j}, tNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"canary waiting->running wake 0s", "event manual_step promote canary", "job canary"}
	if got := effectLines(eff); !slices.Equal(got, want) {
		t.Fatalf("effects:\n got %q\nwant %q", got, want)
	}
	got := eff.Stages[0].Stage.Judgment
	if got == nil || got.Decision != model.DecisionPromote || got.Version != 7 {
		t.Fatalf("recorded judgment %+v, want ada's promote at execution version 7", got)
	}

	refused := []struct {
		name   string
		exec   *model.Execution
		action string
	}{
		{"a canary not planned yet", canaryRun(t, model.StageRunning, `{}`), model.DecisionAbort},
		{"a canary that is rolling back", canaryRun(t, model.StageRunning, `{"phase":"abort","failReason":"analysis failed"}`), model.DecisionAbort},
		{"a canary that failed", canaryRun(t, model.StageFailed, canaryAtPause), model.DecisionPromote},
		{"a canary at its promotion", canaryRun(t, model.StageRunning, `{"phase":"run","next":3,"plan":{"steps":[{"action":"pause"},{"action":"wait-healthy","ref":"new"},{"action":"pause"},{"action":"set-traffic","weights":{"new":100}}]}}`), model.DecisionPromote},
	}
	for _, c := range refused {
		_, err := Transition(c.exec, Controlled{Stage: "canary", Judgment: model.Judgment{Decision: c.action, Actor: "ada", At: tNow}}, tNow)
		if !errors.Is(err, ErrNotControllable) {
			t.Errorf("%s: got %v, want ErrNotControllable", c.name, err)
		}
	}
}
