package stage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// sloDeployBundle is a deploy bundle whose environment (local) has the
// error-budget policy, after v1 was deployed without it.
func sloDeployBundle(t *testing.T, policy *model.SLOPolicy) *deployBundle {
	t.Helper()
	b := newDeployBundle(t)
	b.deployV1(t)
	applySLOConfig(t, b.store, "local", policy)
	b.deploy.SLOs = b.store
	return b
}

func deployGate(t *testing.T, r Result) SLOGateOutput {
	t.Helper()
	var out struct {
		SLOGate *SLOGateOutput `json:"sloGate"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil || out.SLOGate == nil {
		t.Fatalf("output %s has no sloGate (%v)", r.Output, err)
	}
	return *out.SLOGate
}

// A deploy into an environment whose policy holds waits before it changes
// anything; an approver's override with a reason lets it go, and the
// low budget narrows its canary: the first weight capped at 5%, the
// analysis interval twice as long.
func TestDeployHeldByPolicyThenOverridden(t *testing.T) {
	t.Parallel()
	b := sloDeployBundle(t, &model.SLOPolicy{MinBudget: 0.1, MaxBurnRate: 6,
		Narrow: &model.CanaryNarrowing{BelowBudget: 0.5, MaxFirstWeight: 5, AnalysisFactor: 2}})
	start := clock.Add(time.Hour)
	putBudget(t, b.store, start, 0.03, 8)
	in := b.start(t, "exec-2", "v2", canary(analyzeFor(1)), start)
	before := b.groups(t)

	r := b.step(t, &in)
	if r.Outcome != WaitForPerson || r.Reason != heldReason {
		t.Fatalf("%s %q, want WaitForPerson %q", outcomeName(r.Outcome), r.Reason, heldReason)
	}
	if len(r.Writes) != 0 || len(b.groups(t)) != len(before) || len(b.target.takeHistory()) != 0 {
		t.Fatalf("a held deploy changed something: writes %v", r.Writes)
	}
	if out := deployGate(t, r); out.Status != SLOGateHeld {
		t.Errorf("output sloGate %+v, want held", out)
	}
	in.Stage.Status = model.StageWaiting
	if err := CheckJudgment(*in.Stage, in.Spec, model.DecisionApprove, ""); err == nil {
		t.Errorf("an approve without a reason was allowed for a held deploy")
	}
	// Still held 30 s later.
	if r = b.step(t, &in); r.Outcome != WaitForPerson || !in.Now.Equal(start.Add(2*SLORecheck)) {
		t.Fatalf("%s %q at %s, want held again", outcomeName(r.Outcome), r.Reason, in.Now)
	}

	in.Stage.Status = model.StageRunning
	in.Stage.Judgment = &model.Judgment{Decision: model.DecisionApprove, Actor: "grace", Comment: "INC-42 needs this", At: in.Now}
	r = b.step(t, &in)
	if r.Outcome != Continue || !r.ClearJudgment {
		t.Fatalf("after the override: %s %q (clear %v), want the plan", outcomeName(r.Outcome), r.Reason, r.ClearJudgment)
	}
	out := deployGate(t, r)
	if out.Status != SLOGateOverridden || out.OverrideReason != "INC-42 needs this" || out.OverriddenBy != "grace" {
		t.Errorf("output sloGate %+v, want overridden by grace", out)
	}
	wantNarrowed := []string{
		"narrowed: checkout-availability budget 3% left (below 50%)",
		"step 1: first weight 25% capped at 5%",
		"step 2: analysis intervals 2m0s instead of 1m0s (1 of them)",
	}
	if strings.Join(out.Narrowed, "|") != strings.Join(wantNarrowed, "|") {
		t.Errorf("narrowed %q, want %q", out.Narrowed, wantNarrowed)
	}
	if s := outputOf(t, r)["summary"]; !strings.Contains(s.(string), "canary narrowed: checkout-availability budget 3% left") {
		t.Errorf("summary %q does not say the canary was narrowed", s)
	}
	if err := CheckJudgment(*in.Stage, in.Spec, model.DecisionApprove, ""); err != nil {
		t.Errorf("once planned, a pause's approve needs no reason: %v", err)
	}

	r = b.run(t, &in, 60)
	if r.Outcome != Succeeded {
		t.Fatalf("%s %s", outcomeName(r.Outcome), r.Reason)
	}
	if got, want := firstRoute(b.target.takeHistory()), "Route [{checkout-v001 90 false} {checkout-v002 5 false} {checkout-v003 5 true}]"; got != want {
		t.Errorf("first route %s, want %s", got, want)
	}
	recs, err := b.store.AnalysisList(t.Context(), "exec-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].EndedAt.Sub(recs[0].StartedAt) != 2*time.Minute {
		t.Errorf("analysis records %+v, want one interval of 2 minutes", recs)
	}
	if out := deployGate(t, r); out.Status != SLOGateOverridden {
		t.Errorf("the final output's sloGate %+v, want the override kept", out)
	}
}

// A fix passes the policy, and so does a rollback stage; without a policy
// nothing is read.
func TestDeployPolicyExemptions(t *testing.T) {
	t.Parallel()
	b := sloDeployBundle(t, &model.SLOPolicy{MinBudget: 0.1, Freeze: []model.FreezeWindow{{From: "Sat 00:00", To: "Sun 00:00"}}})
	start := clock.Add(time.Hour) // a Saturday: frozen
	putBudget(t, b.store, start, 0.01, 20)

	in := b.start(t, "exec-2", "v2", highlander(), start)
	in.Execution.Params[model.ParamFix] = "true"
	r := b.step(t, &in)
	if r.Outcome != Continue {
		t.Fatalf("a fix: %s %q, want it planned", outcomeName(r.Outcome), r.Reason)
	}
	out := deployGate(t, r)
	if out.Status != SLOGateExempt || !strings.HasPrefix(out.Summary, "passed (fix, never held): would have held: freeze window") {
		t.Errorf("output sloGate %+v, want exempt", out)
	}
	if r = b.run(t, &in, 30); r.Outcome != Succeeded {
		t.Fatalf("the fix: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	b.end(t, in, model.StageSucceeded)

	rb := &Deploy{Store: b.store, Targets: b.deploy.Targets, Judge: b.deploy.Judge, Rollback: true, SLOs: b.deploy.SLOs}
	spec := model.StageSpec{Name: "rollback", Rollback: &model.RollbackStage{Environment: "local"}}
	rin := inputFor(spec, start, start.Add(time.Hour))
	rin.Execution.ID, rin.Stage.ExecutionID, rin.Execution.Application = "exec-3", "exec-3", "checkout"
	r = rb.Run(t.Context(), rin)
	if r.Outcome != Continue {
		t.Fatalf("a rollback: %s %q, want it planned", outcomeName(r.Outcome), r.Reason)
	}
	if out := deployGate(t, r); out.Status != SLOGateExempt || !strings.HasPrefix(out.Summary, "passed (rollback, never held)") {
		t.Errorf("rollback sloGate %+v, want exempt", out)
	}
}
