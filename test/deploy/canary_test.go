package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func ptr[T any](v T) *T { return &v }

// canary is a canary pipeline over the given steps, judged on the front door.
func canary(name string, steps ...model.CanaryStep) model.Pipeline {
	return pipeline(name, model.Strategy{Type: model.StrategyCanary, MaxRemaining: 0, Canary: &model.CanarySpec{
		Steps: steps,
		// The threshold judge: these tests are about the canary mechanics, and it
		// judges a short interval; the statistical judge has its own tests.
		Analysis: &model.AnalysisSpec{Judge: model.JudgeThreshold, MinRequests: 10, MaxErrorRateIncrease: ptr(0.05), MaxLatencyRatio: ptr(3.0), MaxExtensions: 3},
	}})
}

func setWeight(w int) model.CanaryStep { return model.CanaryStep{SetWeight: ptr(w)} }
func analysisStep(interval time.Duration, n int) model.CanaryStep {
	return model.CanaryStep{Analysis: &model.AnalysisStep{Interval: model.Duration(interval), Intervals: n}}
}
func pauseForApproval() model.CanaryStep { return model.CanaryStep{Pause: &model.PauseStep{}} }

// groupsOf returns the names of the server groups an execution created, by role ref.
func groupsOf(e *model.Execution) map[string]string { return output(e).ServerGroups }

// assertBackOnV1 checks that v1 alone serves and that every group the
// execution created is gone, processes included.
func assertBackOnV1(t *testing.T, r *rig, e *model.Execution, v1 string) {
	t.Helper()
	gs := r.groups()
	if len(gs) != 1 || gs[0].Name != v1 || gs[0].Weight != 100 || gs[0].Status != model.ServerGroupUp {
		t.Fatalf("want only %s (v1) up with 100%% after the abort, got %s", v1, groupsString(gs))
	}
	if got := versions(t, r.frontDoor, 30); got["v1"] != 30 {
		t.Fatalf("after the abort the front door answers %v, want only v1", got)
	}
	created := groupsOf(e)
	if len(created) == 0 {
		t.Fatalf("the execution's output names no created server group: %s", describe(e))
	}
	state := r.statePIDs()
	for ref, name := range created {
		if pids, ok := state[name]; ok {
			t.Errorf("%s group %s is still in the provider's state file with pids %v", ref, name, pids)
		}
	}
	r.waitNoProcsOf("v2", 3*time.Second)
}

// TestCanaryFaultyRollsBack: a v2 answering half its requests with 500
// fails the analysis; traffic returns to v1 and canary and baseline are gone.
// A healthy v2 is then promoted.
func TestCanaryFaultyRollsBack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 1}, canary("canary", setWeight(30), analysisStep(1500*time.Millisecond, 2)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	v1 := r.groups()[0].Name
	startTraffic(t, r.frontDoor, 80)

	e := r.wait(r.deploy("canary", "v2", map[string]string{"SAMPLE_ERROR_RATE": "0.5"}), time.Minute)
	if e.Status != model.ExecutionFailed {
		t.Fatalf("a canary answering 50%% 5xx should fail: %s", describe(e))
	}
	if !strings.Contains(e.Reason, "5xx rate") || !strings.Contains(e.Reason, "canary analysis failed") {
		t.Errorf("the failure reason should name the error rate the analysis measured: %q", e.Reason)
	}
	t.Logf("faulty v2: %s", e.Reason)
	assertBackOnV1(t, r, e, v1)
	if n := countKind(r.events(e.ID), model.EventRolledBack); n != 1 {
		t.Errorf("want one rolled_back event for the failed canary, got %d", n)
	}

	e = r.mustSucceed(r.deploy("canary", "v2b", nil), time.Minute)
	out := output(e)
	if len(out.Verdicts) < 2 {
		t.Errorf("a promoted canary should carry its verdicts: %v", out.Verdicts)
	}
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v2b" || gs[0].Weight != 100 || gs[0].Role != model.RoleProduction || !gs[0].LastGood {
		t.Fatalf("the healthy canary should be the one production group with 100%%: %s", groupsString(gs))
	}
	if got := versions(t, r.frontDoor, 20); got["v2b"] != 20 {
		t.Fatalf("after promotion the front door answers %v, want only v2b", got)
	}
	r.waitNoProcsOf("v1", 3*time.Second)
}

// TestCanaryCancel: canceling during an analysis interval or a pause that
// waits for approval puts traffic back on v1 and removes what was created.
func TestCanaryCancel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		steps []model.CanaryStep
		// at says when to cancel, from the deploy stage's output and status.
		at func(e *model.Execution) bool
	}{
		{"during analysis", []model.CanaryStep{setWeight(30), analysisStep(20*time.Second, 1)},
			func(e *model.Execution) bool { return strings.Contains(output(e).Summary, "measuring") }},
		{"during pause for approval", []model.CanaryStep{setWeight(30), pauseForApproval(), setWeight(60)},
			func(e *model.Execution) bool { return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.apply(appOpts{instances: 1}, canary("canary", tc.steps...))
			r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
			v1 := r.groups()[0].Name
			tr := startTraffic(t, r.frontDoor, 40)

			id := r.deploy("canary", "v2", nil)
			r.waitFor(id, 30*time.Second, "to reach the cancel point", tc.at)
			if _, err := r.c.Cancel(r.ctx(), id, "test cancels mid-canary"); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			start := time.Now()
			e := r.wait(id, 30*time.Second)
			t.Logf("canceled in %s: %s", time.Since(start).Round(time.Millisecond), describe(e))
			if e.Status != model.ExecutionCanceled {
				t.Fatalf("want canceled, got %s", describe(e))
			}
			assertBackOnV1(t, r, e, v1)
			tr.halt()
			_, errs, byStatus, _, firstErr := tr.snapshot()
			if errs > 0 || len(byStatus) != 1 {
				t.Errorf("traffic during cancel: %d errors (first: %s), statuses %v; want only 2xx", errs, firstErr, byStatus)
			}
			if n := countKind(r.events(id), model.EventExecutionFinished); n != 1 {
				t.Errorf("want one execution_finished event, got %d", n)
			}
		})
	}
}

// TestDeployStageFailure: an application whose command exits at once fails
// the deploy with the instance's exit in the reason, and leaves nothing behind.
func TestDeployStageFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 2, command: "/bin/false"}, pipeline("hl", model.Strategy{Type: model.StrategyHighlander}))
	start := time.Now()
	e := r.wait(r.deploy("hl", "v1", nil), 30*time.Second)
	took := time.Since(start)
	if e.Status != model.ExecutionFailed {
		t.Fatalf("want failed, got %s", describe(e))
	}
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), e.Reason)
	if !strings.Contains(e.Reason, "exited with status 1") {
		t.Errorf("the reason should quote the instance's exit (\"exited with status 1\"): %q", e.Reason)
	}
	if took > 10*time.Second {
		t.Errorf("a command that exits at once took %s to fail the deploy; want it to fail fast", took)
	}
	for _, g := range r.groups() {
		if g.Status != model.ServerGroupDestroyed {
			t.Errorf("group %s lingers after the failed deploy: %s", g.Name, groupsString(r.groups()))
		}
	}
	if st := r.statePIDs(); len(st) != 0 {
		t.Errorf("the provider still runs groups after the failed deploy: %v", st)
	}
	if n := countKind(r.events(e.ID), model.EventExecutionFinished); n != 1 {
		t.Errorf("want one execution_finished event, got %d", n)
	}
}
