package engine_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// flaky fails its first call and succeeds after.
type flaky struct{ calls atomic.Int32 }

func (f *flaky) Run(_ context.Context, _ stage.Input) stage.Result {
	if f.calls.Add(1) == 1 {
		return stage.Failf("the target was down")
	}
	return stage.Succeed(nil)
}

// pausedCanary waits at a pause (state as a canary's) until it sees a
// promote or abort, then ends as the deploy would.
type pausedCanary struct{ seen atomic.Value }

const pausedState = `{"phase":"run","environment":"prod","next":2,"plan":{"steps":[
	{"action":"create","ref":"new"},{"action":"wait-healthy","ref":"new"},{"action":"pause"},
	{"action":"set-traffic","weights":{"new":100}},{"action":"mark-good","ref":"new"}]}}`

func (p *pausedCanary) Run(_ context.Context, in stage.Input) stage.Result {
	if j := in.Stage.Judgment; j.IsControl() {
		p.seen.Store(j.Decision + " by " + j.Actor)
		return stage.Succeed(nil)
	}
	return stage.Result{Outcome: stage.WaitForPerson, State: []byte(pausedState)}
}

func startEngine(t *testing.T, runners map[model.StageType]stage.Runner) (*engine.Engine, store.Store) {
	t.Helper()
	st := openStore(t)
	eng, err := engine.New(engine.Config{Store: st, Runners: runners, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Stop(context.WithoutCancel(t.Context())) })
	return eng, st
}

func waitStatus(t *testing.T, eng *engine.Engine, st store.Store, id string, want model.ExecutionStatus) *model.Execution {
	t.Helper()
	return waitUntil(t, eng, st, id, string(want), func(e *model.Execution) bool { return e.Status == want })
}

// A failed execution retried from its failed stage runs that stage again
// and the stages after it; the same request sent again changes nothing.
func TestRetryRunsAFailedExecutionAgainOnce(t *testing.T) {
	t.Parallel()
	f := &flaky{}
	eng, st := startEngine(t, map[model.StageType]stage.Runner{model.StageNoop: f, model.StageWait: stage.Noop{}})
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{
		{Name: "deploy", Noop: &model.NoopStage{}},
		{Name: "after", Needs: []string{"deploy"}, Wait: &model.WaitStage{}},
	}}
	exec, err := eng.StartPipeline(t.Context(), pl, nil, model.Trigger{}, engine.Guard{})
	must(t, err)
	failed := waitStatus(t, eng, st, exec.ID, model.ExecutionFailed)

	entry := &model.AuditEntry{Actor: "ada", Action: model.AuditRetry}
	did, err := eng.Retry(t.Context(), engine.RetryParams{ExecutionID: exec.ID, Actor: "ada", Version: failed.Version, Guard: engine.Guard{Audit: entry}})
	if err != nil || !did {
		t.Fatalf("retry: %v, %v; want it done", did, err)
	}
	done := waitStatus(t, eng, st, exec.ID, model.ExecutionSucceeded)
	if done.EndedAt == nil || done.Stages[1].Status != model.StageSucceeded {
		t.Fatalf("after the retry: %+v", done)
	}
	// The same request again (its answer lost): nothing more runs.
	did, err = eng.Retry(t.Context(), engine.RetryParams{ExecutionID: exec.ID, Actor: "ada", Version: failed.Version})
	if err != nil || did {
		t.Fatalf("a repeated retry: %v, %v; want not done, no error", did, err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("the stage ran %d times, want 2", n)
	}
	events, err := st.EventList(t.Context(), store.EventListParams{Application: "a"})
	must(t, err)
	found := false
	for _, ev := range events {
		found = found || (ev.Kind == model.EventManualStep && ev.Action == "retry" && ev.Actor == "ada")
	}
	if !found {
		t.Fatalf("no retry event naming ada in %+v", events)
	}
	entries, err := st.AuditList(t.Context(), store.AuditListParams{})
	must(t, err)
	if len(entries) != 1 || entries[0].Action != model.AuditRetry || entries[0].Object != "execution/"+exec.ID {
		t.Fatalf("audit entries %+v, want one execution.retry", entries)
	}
	// A succeeded execution cannot be retried.
	if _, err := eng.Retry(t.Context(), engine.RetryParams{ExecutionID: exec.ID, Actor: "ada"}); err == nil {
		t.Fatal("a succeeded execution was retried")
	}
}

// startPausedCanary starts an execution of one canary stage that pauses
// until promoted, on an engine of its own.
func startPausedCanary(t *testing.T) (*pausedCanary, *engine.Engine, store.Store, *model.Execution) {
	t.Helper()
	c := &pausedCanary{}
	eng, st := startEngine(t, map[model.StageType]stage.Runner{model.StageDeploy: c})
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "canary", Deploy: &model.DeployStage{Environment: "prod",
		Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{{Pause: &model.PauseStep{}}}}}}}}}
	exec, err := eng.StartPipeline(t.Context(), pl, nil, model.Trigger{}, engine.Guard{})
	must(t, err)
	return c, eng, st, exec
}

// A promote reaches a paused canary once; the same request again is a no-op.
func TestControlPromotesAPausedCanaryOnce(t *testing.T) {
	t.Parallel()
	c, eng, st, exec := startPausedCanary(t)
	seen := waitUntil(t, eng, st, exec.ID, "paused", func(e *model.Execution) bool { return e.Stages[0].Status == model.StageWaiting })
	p := engine.ControlParams{ExecutionID: exec.ID, Decision: model.DecisionPromote, Actor: "ada", Version: seen.Version}
	did, err := eng.Control(t.Context(), p)
	if err != nil || !did {
		t.Fatalf("promote: %v, %v", did, err)
	}
	waitStatus(t, eng, st, exec.ID, model.ExecutionSucceeded)
	if got, _ := c.seen.Load().(string); got != "promote by ada" {
		t.Fatalf("the canary saw %q, want ada's promote", got)
	}
	did, err = eng.Control(t.Context(), p)
	if err != nil || did {
		t.Fatalf("the same promote again: %v, %v; want not done, no error", did, err)
	}
	// An abort now comes too late: the execution is over.
	if _, err := eng.Control(t.Context(), engine.ControlParams{ExecutionID: exec.ID, Decision: model.DecisionAbort, Actor: "ada"}); err == nil {
		t.Fatal("an abort of a finished canary was accepted")
	}
}

// A caller may act on the execution as it saw it at any time, from the
// start's answer on: no stored version is 0, which a request reserves for
// "not given", so a promote sent with the version the start returned is
// still recognized when it is sent again.
func TestControlRepeatWithTheStartsVersionIsANoOp(t *testing.T) {
	t.Parallel()
	_, eng, st, exec := startPausedCanary(t)
	stored, err := st.ExecutionGet(t.Context(), exec.ID)
	must(t, err)
	if exec.Version < 1 || stored.Version < exec.Version {
		t.Fatalf("started at version %d, stored at %d: want at least 1 (0 means a request gives none)", exec.Version, stored.Version)
	}
	waitUntil(t, eng, st, exec.ID, "paused", func(e *model.Execution) bool { return e.Stages[0].Status == model.StageWaiting })
	p := engine.ControlParams{ExecutionID: exec.ID, Decision: model.DecisionPromote, Actor: "ada", Version: exec.Version}
	if did, err := eng.Control(t.Context(), p); err != nil || !did {
		t.Fatalf("promote: %v, %v", did, err)
	}
	waitStatus(t, eng, st, exec.ID, model.ExecutionSucceeded)
	if did, err := eng.Control(t.Context(), p); err != nil || did {
		t.Fatalf("the same promote again: %v, %v; want not done, no error", did, err)
	}
}
