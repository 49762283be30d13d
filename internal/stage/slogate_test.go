package stage

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// These tests run the sloGate stage on a real SQLite store: the
// application's `slo:` shorthand gives the SLO checkout-availability, the
// evaluator's status is written with SLOStatusPut, and each call's state
// is kept for the next, as the engine keeps it.

// sloStore opens a store with checkout (99.9% available over 28d) and the
// environment prod with policy.
func sloStore(t *testing.T, policy *model.SLOPolicy) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	applySLOConfig(t, st, "prod", policy)
	return st
}

// applySLOConfig applies checkout with its SLO shorthand and env with policy.
func applySLOConfig(t *testing.T, st store.Store, env string, policy *model.SLOPolicy) {
	t.Helper()
	_, err := st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "/bin/sh", Args: []string{"-c", "exec ./checkout --version {{version}}"}},
			DeployEnv: []string{"LOG_LEVEL"}, SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: env, Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:1"}, SLOPolicy: policy}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// putBudget stores checkout-availability's status at at: budget left and
// the burn rate over 5m, 1h and 6h.
func putBudget(t *testing.T, st store.Store, at time.Time, budget, burn1h float64) {
	t.Helper()
	err := st.SLOStatusPut(t.Context(), model.SLOStatus{
		Name: "checkout-availability", Application: "checkout", EvaluatedAt: at,
		WindowStart: at.Add(-28 * 24 * time.Hour), WindowEnd: at,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 1000, Total: 1000, Attainment: 0.999, BudgetRemaining: budget}},
		BurnRates: []model.BurnRate{
			{Window: model.Duration(5 * time.Minute), Rate: burn1h},
			{Window: model.Duration(time.Hour), Rate: burn1h},
			{Window: model.Duration(6 * time.Hour), Rate: burn1h},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func gateInput(gate model.SLOGateStage, params map[string]string) Input {
	spec := model.StageSpec{Name: "budget", SLOGate: &gate}
	in := inputFor(spec, clock, clock)
	in.Execution.Application, in.Execution.Params = "checkout", params
	return in
}

// call runs the gate once and keeps what the engine keeps.
func call(t *testing.T, g *SLOGate, in *Input) Result {
	t.Helper()
	r := g.Run(t.Context(), *in)
	if r.State != nil {
		in.Stage.State = r.State
	}
	if r.ClearJudgment {
		in.Stage.Judgment = nil
	}
	if r.Outcome == WaitForPerson {
		in.Stage.Status = model.StageWaiting
	}
	return r
}

func gateOutput(t *testing.T, r Result) SLOGateOutput {
	t.Helper()
	var out SLOGateOutput
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	return out
}

const heldReason = "held: checkout-availability budget 3% left of 28d; burn 8× over 1h"

// Held while the budget is short, looked at every 30 s; it goes on once
// the budget has recovered.
func TestSLOGateHeldThenRecovers(t *testing.T) {
	t.Parallel()
	st := sloStore(t, &model.SLOPolicy{MinBudget: 0.1, MaxBurnRate: 6})
	g := &SLOGate{SLOs: st}
	in := gateInput(model.SLOGateStage{Environment: "prod"}, nil)
	putBudget(t, st, clock.Add(-10*time.Second), 0.03, 8)

	r := call(t, g, &in)
	if r.Outcome != WaitForPerson || r.Reason != heldReason {
		t.Fatalf("first call: %s %q, want WaitForPerson %q", outcomeName(r.Outcome), r.Reason, heldReason)
	}
	if want := clock.Add(SLORecheck); !r.At.Equal(want) {
		t.Errorf("looks again at %s, want %s", r.At, want)
	}
	if out := gateOutput(t, r); out.Status != SLOGateHeld || out.Summary != heldReason || out.HeldSince == nil || !out.HeldSince.Equal(clock) {
		t.Errorf("output %+v, want held since %s", out, clock)
	}
	// An approve without a reason is refused while it is held.
	if err := CheckJudgment(*in.Stage, in.Spec, model.DecisionApprove, "  "); err == nil || !strings.Contains(err.Error(), "needs a reason") {
		t.Errorf("CheckJudgment(approve, no comment) = %v, want a refusal", err)
	}
	if err := CheckJudgment(*in.Stage, in.Spec, model.DecisionApprove, "INC-42 fix"); err != nil {
		t.Errorf("CheckJudgment(approve, reason) = %v", err)
	}
	if err := CheckJudgment(*in.Stage, in.Spec, model.DecisionReject, ""); err != nil {
		t.Errorf("CheckJudgment(reject) = %v", err)
	}

	// 30 s later, still short: still held, since the first time.
	in.Now = r.At
	putBudget(t, st, in.Now.Add(-time.Second), 0.04, 7)
	r = call(t, g, &in)
	if r.Outcome != WaitForPerson || !strings.Contains(r.Reason, "budget 4% left of 28d; burn 7× over 1h") {
		t.Fatalf("second call: %s %q", outcomeName(r.Outcome), r.Reason)
	}
	if out := gateOutput(t, r); !out.HeldSince.Equal(clock) {
		t.Errorf("held since %s, want the first hold %s", out.HeldSince, clock)
	}

	// The budget recovers.
	in.Now = r.At
	putBudget(t, st, in.Now.Add(-time.Second), 0.5, 1)
	r = call(t, g, &in)
	if r.Outcome != Succeeded {
		t.Fatalf("after recovery: %s %q, want Succeeded", outcomeName(r.Outcome), r.Reason)
	}
	if out := gateOutput(t, r); out.Status != SLOGatePassed || out.HeldSince == nil {
		t.Errorf("output %+v, want passed, remembering the hold", out)
	}
}

// An approver overrides the hold with a reason; the reason is in the
// output. A reject fails the stage.
func TestSLOGateOverrideAndReject(t *testing.T) {
	t.Parallel()
	st := sloStore(t, &model.SLOPolicy{MinBudget: 0.1})
	putBudget(t, st, clock, 0.03, 8)
	g := &SLOGate{SLOs: st}

	in := gateInput(model.SLOGateStage{Environment: "prod"}, nil)
	if r := call(t, g, &in); r.Outcome != WaitForPerson {
		t.Fatalf("%s %q, want held", outcomeName(r.Outcome), r.Reason)
	}
	in.Stage.Judgment = &model.Judgment{Decision: model.DecisionApprove, Actor: "grace", Comment: "INC-42: this release is the fix", At: clock.Add(time.Minute)}
	in.Now = clock.Add(time.Minute)
	r := call(t, g, &in)
	if r.Outcome != Succeeded || !r.ClearJudgment {
		t.Fatalf("after the override: %s %q (clear %v), want Succeeded", outcomeName(r.Outcome), r.Reason, r.ClearJudgment)
	}
	out := gateOutput(t, r)
	want := "overridden by grace: INC-42: this release is the fix (held: checkout-availability budget 3% left of 28d; burn 8× over 1h)"
	if out.Status != SLOGateOverridden || out.OverriddenBy != "grace" || out.OverrideReason != "INC-42: this release is the fix" || out.Summary != want {
		t.Errorf("output %+v, want summary %q", out, want)
	}

	in = gateInput(model.SLOGateStage{Environment: "prod"}, nil)
	call(t, g, &in)
	in.Stage.Judgment = &model.Judgment{Decision: model.DecisionReject, Actor: "grace", Comment: "not now"}
	r = call(t, g, &in)
	if want := "rejected by grace: not now while held by the error budget: checkout-availability budget 3% left of 28d; burn 8× over 1h"; r.Outcome != Failed || r.Reason != want {
		t.Errorf("after a reject: %s %q, want Failed %q", outcomeName(r.Outcome), r.Reason, want)
	}
}

func TestSLOGateCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		policy  *model.SLOPolicy
		gate    model.SLOGateStage
		params  map[string]string
		budget  float64 // <0: no status stored
		at      time.Time
		now     time.Time
		outcome Outcome
		reason  string
		status  string
	}{
		{name: "no policy, stage thresholds hold", gate: model.SLOGateStage{Environment: "prod", MinBudget: 0.5}, budget: 0.3, at: clock, now: clock,
			outcome: WaitForPerson, reason: "held: checkout-availability budget 30% left of 28d; burn 8× over 1h", status: SLOGateHeld},
		{name: "the stage's threshold wins over the policy's", policy: &model.SLOPolicy{MinBudget: 0.5}, gate: model.SLOGateStage{Environment: "prod", MinBudget: 0.2}, budget: 0.3, at: clock, now: clock,
			outcome: Succeeded, status: SLOGatePassed},
		{name: "a fix passes", policy: &model.SLOPolicy{MinBudget: 0.5}, gate: model.SLOGateStage{Environment: "prod"}, params: map[string]string{model.ParamFix: "true"}, budget: 0.3, at: clock, now: clock,
			outcome: Succeeded, status: SLOGateExempt},
		{name: "never evaluated, unknown hold", policy: &model.SLOPolicy{MinBudget: 0.1, Unknown: "hold"}, gate: model.SLOGateStage{Environment: "prod"}, budget: -1, now: clock,
			outcome: WaitForPerson, reason: "held: checkout-availability has not been evaluated yet (sloPolicy.unknown: hold)", status: SLOGateHeld},
		{name: "stale status, unknown allow", policy: &model.SLOPolicy{MinBudget: 0.1}, gate: model.SLOGateStage{Environment: "prod"}, budget: 0.01, at: clock.Add(-10 * time.Minute), now: clock,
			outcome: Succeeded, status: SLOGatePassed},
		{name: "timeout fails with the reason", policy: &model.SLOPolicy{MinBudget: 0.1}, gate: model.SLOGateStage{Environment: "prod", Timeout: model.Duration(time.Hour)}, budget: 0.01, at: clock.Add(time.Hour), now: clock.Add(time.Hour),
			outcome: Failed, reason: "still held after 1h0m0s (sloGate.timeout): checkout-availability budget 1% left of 28d; burn 8× over 1h", status: SLOGateHeld},
		{name: "a freeze window holds", policy: &model.SLOPolicy{Freeze: []model.FreezeWindow{{Name: "pi-day", From: "Sat 00:00", To: "Sun 00:00"}}}, gate: model.SLOGateStage{Environment: "prod"}, budget: 1, at: clock, now: clock,
			outcome: WaitForPerson, reason: `held: freeze window "pi-day" (Sat 00:00 to Sun 00:00 UTC) until Sun 00:00 UTC`, status: SLOGateHeld},
		{name: "an unknown environment holds with the error", gate: model.SLOGateStage{Environment: "staging", MinBudget: 0.1}, budget: 1, at: clock, now: clock,
			outcome: WaitForPerson, reason: `held: cannot read the error budget: Environment "staging": not found (apply a config that defines it)`, status: SLOGateHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := sloStore(t, tt.policy)
			if tt.budget >= 0 {
				putBudget(t, st, tt.at, tt.budget, 8)
			}
			in := gateInput(tt.gate, tt.params)
			in.Now = tt.now
			r := call(t, &SLOGate{SLOs: st}, &in)
			if r.Outcome != tt.outcome || (tt.reason != "" && r.Reason != tt.reason) {
				t.Errorf("%s %q, want %s %q", outcomeName(r.Outcome), r.Reason, outcomeName(tt.outcome), tt.reason)
			}
			if out := gateOutput(t, r); out.Status != tt.status {
				t.Errorf("output status %q, want %q (%+v)", out.Status, tt.status, out)
			}
		})
	}
}

// An SLO from the applied config (an OpenSLO document, stored resolved)
// gates when the stage names it; the shorthand SLO it does not name does
// not.
func TestSLOGateNamedConfigSLO(t *testing.T) {
	t.Parallel()
	st := sloStore(t, nil)
	_, err := st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "/bin/sh"}, SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}}},
		SLOs: []model.SLO{{Name: "checkout-latency-p99", Application: "checkout", Window: model.SLOWindow{Count: 1, Unit: "M", TimeZone: "Europe/Berlin"},
			Budgeting: model.BudgetOccurrences, Objectives: []model.Objective{{Target: 0.99}},
			Indicator: model.SLI{Good: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:1", Query: "good"},
				Total: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:1", Query: "total"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	putBudget(t, st, clock, 0.01, 8) // checkout-availability: spent, but not named
	if err := st.SLOStatusPut(t.Context(), model.SLOStatus{Name: "checkout-latency-p99", Application: "checkout", EvaluatedAt: clock,
		Objectives: []model.ObjectiveStatus{{Target: 0.99, BudgetRemaining: 0.02}}}); err != nil {
		t.Fatal(err)
	}
	in := gateInput(model.SLOGateStage{Environment: "prod", SLOs: []string{"checkout-latency-p99"}, MinBudget: 0.05}, nil)
	r := call(t, &SLOGate{SLOs: st}, &in)
	if want := "held: checkout-latency-p99 budget 2% left of 1M"; r.Outcome != WaitForPerson || r.Reason != want {
		t.Errorf("%s %q, want WaitForPerson %q", outcomeName(r.Outcome), r.Reason, want)
	}
}
