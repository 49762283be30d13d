package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// A pipeline held by the error budget waits in its sloGate stage; an
// approve without a reason is refused, one with a reason releases it, is
// audited and is recorded as a manual step.
func TestSLOGateHeldThenOverridden(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	_, err := st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "/bin/true"}, SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, SLOPolicy: &model.SLOPolicy{MinBudget: 0.1}}},
	})
	must(t, err)
	now := time.Now()
	must(t, st.SLOStatusPut(t.Context(), model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: now,
		Objectives: []model.ObjectiveStatus{{Target: 0.999, BudgetRemaining: 0.03}},
		BurnRates:  []model.BurnRate{{Window: model.Duration(time.Hour), Rate: 8}}}))
	eng, err := engine.New(engine.Config{Store: st, SingleNode: true, Runners: map[model.StageType]stage.Runner{
		model.StageSLOGate: &stage.SLOGate{SLOs: st}, model.StageNoop: stage.Noop{}}})
	must(t, err)
	must(t, eng.Start(t.Context()))
	t.Cleanup(func() { _ = eng.Stop(context.WithoutCancel(t.Context())) })

	pl := model.Pipeline{Name: "release", Application: "checkout", Stages: []model.StageSpec{
		{Name: "budget", SLOGate: &model.SLOGateStage{Environment: "prod"}},
		{Name: "after", Needs: []string{"budget"}, Noop: &model.NoopStage{}},
	}}
	exec, err := eng.StartPipeline(t.Context(), pl, nil, model.Trigger{Kind: "manual"}, engine.Guard{})
	must(t, err)
	held := waitUntil(t, eng, st, exec.ID, "held", func(e *model.Execution) bool { return e.Stages[0].Status == model.StageWaiting })
	if !strings.Contains(string(held.Stages[0].Output), "held: checkout-availability budget 3% left of 28d; burn 8× over 1h") {
		t.Fatalf("held stage output %s", held.Stages[0].Output)
	}
	if held.Stages[0].WakeAt == nil || held.Stages[0].WakeAt.Sub(now) > stage.SLORecheck+5*time.Second {
		t.Fatalf("held stage wakes at %v, want within %s", held.Stages[0].WakeAt, stage.SLORecheck)
	}

	err = eng.Judge(t.Context(), engine.JudgeParams{ExecutionID: exec.ID, Stage: "budget", Decision: model.DecisionApprove, Actor: "grace"})
	if !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), "needs a reason") {
		t.Fatalf("an override without a reason: %v, want refused", err)
	}
	entry := &model.AuditEntry{Actor: "grace", Action: model.AuditApprove, Object: "execution/" + exec.ID}
	must(t, eng.Judge(t.Context(), engine.JudgeParams{ExecutionID: exec.ID, Stage: "budget", Decision: model.DecisionApprove, Actor: "grace",
		Comment: "INC-42: the fix must go out", Guard: engine.Guard{Audit: entry}}))
	done := waitStatus(t, eng, st, exec.ID, model.ExecutionSucceeded)
	if out := string(done.Stages[0].Output); !strings.Contains(out, `"overrideReason":"INC-42: the fix must go out"`) || !strings.Contains(out, `"status":"overridden"`) {
		t.Errorf("output after the override: %s", out)
	}

	events, err := st.EventList(t.Context(), store.EventListParams{Application: "checkout"})
	must(t, err)
	var manual, waiting int
	for _, ev := range events {
		if ev.Kind == model.EventManualStep && ev.Action == model.DecisionApprove && ev.Actor == "grace" && ev.Detail == "INC-42: the fix must go out" {
			manual++
		}
		if ev.Kind == model.EventJudgmentWaiting && strings.HasPrefix(ev.Detail, "held: checkout-availability budget 3% left") {
			waiting++
		}
	}
	if manual != 1 || waiting != 1 {
		t.Errorf("%d manual steps naming grace's reason and %d held events, want 1 and 1: %+v", manual, waiting, events)
	}
	entries, err := st.AuditList(t.Context(), store.AuditListParams{})
	must(t, err)
	if len(entries) != 1 || entries[0].Action != model.AuditApprove || entries[0].Object != "execution/"+exec.ID {
		t.Errorf("audit entries %+v, want grace's approve", entries)
	}
}

// Every pipeline accepts the fix parameter (gennaker deploy --fix), and
// the execution says it is a fix.
func TestFixParamAccepted(t *testing.T) {
	t.Parallel()
	eng, _ := startEngine(t, map[model.StageType]stage.Runner{model.StageNoop: stage.Noop{}})
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "n", Noop: &model.NoopStage{}}}}
	exec, err := eng.StartPipeline(t.Context(), pl, map[string]string{model.ParamFix: "true"}, model.Trigger{}, engine.Guard{})
	must(t, err)
	if !exec.IsFix() {
		t.Fatalf("params %v: not a fix", exec.Params)
	}
}
