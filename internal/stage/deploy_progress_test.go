package stage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// progressPlan is a canary's plan: create, wait, 25%, analysis, pause, promote.
var progressPlan = strategy.Plan{Steps: []strategy.Step{
	{Action: strategy.ActionCreate, Ref: strategy.RefNew, Why: "start the canary: 2 instances of v2"},
	{Action: strategy.ActionWaitHealthy, Ref: strategy.RefNew, Why: "wait until every canary instance passes its health check"},
	{Action: strategy.ActionSetTraffic, Weights: map[strategy.Ref]int{strategy.RefNew: 25, strategy.RefBaseline: 25, "checkout-v001": 50},
		CanaryRef: strategy.RefNew, Why: "step 1: canary 25%, baseline 25%, serving 50%"},
	{Action: strategy.ActionAnalysis, Ref: strategy.RefNew, Analysis: &model.AnalysisStep{Interval: model.Duration(time.Minute), Intervals: 3},
		Why: "step 2: judge the canary against the baseline"},
	{Action: strategy.ActionPause, Pause: model.Duration(5 * time.Minute), Why: "step 3: pause for 5m"},
	{Action: strategy.ActionSetTraffic, Weights: map[strategy.Ref]int{strategy.RefNew: 100}, Why: "promote: send all traffic to the canary"},
}}

func progressOf(t *testing.T, status model.StageStatus, ds deployState) *DeployProgress {
	t.Helper()
	raw, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	spec := model.StageSpec{Name: "canary", Deploy: &model.DeployStage{Environment: "prod", Strategy: model.Strategy{Type: model.StrategyCanary,
		Canary: &model.CanarySpec{Analysis: &model.AnalysisSpec{Warmup: model.Duration(30 * time.Second)}}}}}
	p, err := ReadDeployProgress(model.Stage{Name: "canary", Type: model.StageDeploy, Status: status, State: raw}, spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func states(p *DeployProgress) string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.State))
	}
	return strings.Join(out, ",")
}

func TestReadDeployProgress(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		status  model.StageStatus
		ds      deployState
		states  string
		current int
	}{
		{"NotPlanned", model.StageRunning, deployState{}, "", -1},
		{"Running", model.StageRunning, deployState{Phase: phaseRun, Plan: progressPlan, Next: 3}, "done,done,done,running,pending,pending", 3},
		{"WaitingInPause", model.StageWaiting, deployState{Phase: phaseRun, Plan: progressPlan, Next: 4}, "done,done,done,done,running,pending", 4},
		{"AbortingAfterAnalysis", model.StageRunning, deployState{Phase: phaseAbort, Plan: progressPlan, Next: 3}, "done,done,done,failed,pending,pending", 3},
		{"Failed", model.StageFailed, deployState{Phase: phaseAbort, Plan: progressPlan, Next: 3}, "done,done,done,failed,not run,not run", 3},
		{"Canceled", model.StageCanceled, deployState{Phase: phaseAbort, Plan: progressPlan, Next: 1}, "done,failed,not run,not run,not run,not run", 1},
		{"Succeeded", model.StageSucceeded, deployState{Phase: phaseRun, Plan: progressPlan, Next: 6}, "done,done,done,done,done,done", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := progressOf(t, tc.status, tc.ds)
			if got := states(p); got != tc.states || p.Current != tc.current {
				t.Errorf("states %q current %d, want %q current %d", got, p.Current, tc.states, tc.current)
			}
		})
	}

	t.Run("OneNumbering", func(t *testing.T) {
		p := progressOf(t, model.StageRunning, deployState{Phase: phaseRun, Plan: progressPlan, Next: 3})
		s := p.Steps[3]
		if s.Number != 4 || s.What != "judge the canary against the baseline" || s.Action != strategy.ActionAnalysis {
			t.Errorf("step 4 = %+v: want number 4, the canary's own \"step 2: \" left out", s)
		}
		if p.Steps[2].Weight != 25 || p.Steps[5].Weight != -1 || p.Steps[4].Pause != 5*time.Minute {
			t.Errorf("weights %d, %d and pause %s: want 25 (the canary's), -1 (a promote names no canary) and 5m", p.Steps[2].Weight, p.Steps[5].Weight, p.Steps[4].Pause)
		}
	})

	t.Run("Analysis", func(t *testing.T) {
		started := t0.Add(time.Minute)
		ds := deployState{Phase: phaseRun, Plan: progressPlan, Next: 3, StepStarted: &started,
			Analysis: &analysisState{AnalysisInterval: AnalysisInterval{Index: 1, Start: t0.Add(2 * time.Minute), End: t0.Add(3 * time.Minute)}}}
		p := progressOf(t, model.StageRunning, ds)
		a := p.Analysis
		if a == nil {
			t.Fatal("no analysis progress for a running analysis step")
		}
		if a.Measuring.Index != 1 || !a.Measuring.End.Equal(t0.Add(3*time.Minute)) || a.Interval != time.Minute ||
			a.Intervals != 3 || a.Warmup != 30*time.Second || p.StepStarted == nil {
			t.Errorf("analysis %+v: want interval 2 of 3 of 1m ending at 10:03, warm-up 30s (the canary's analysis block)", a)
		}
		// Once the deploy moved on, there is no running analysis to show.
		ds.Next = 4
		if p := progressOf(t, model.StageRunning, ds); p.Analysis != nil {
			t.Errorf("analysis %+v at a pause: want none", p.Analysis)
		}
	})

	t.Run("Waves", func(t *testing.T) {
		p, err := ReadDeployProgress(model.Stage{Name: "w"}, model.StageSpec{Deploy: &model.DeployStage{Environments: []string{"a", "b"}}})
		if err != nil || p != nil {
			t.Errorf("a deploy in waves: %v, %v; want no single plan", p, err)
		}
	})
	t.Run("Unreadable", func(t *testing.T) {
		_, err := ReadDeployProgress(model.Stage{Name: "x", State: json.RawMessage(`{"plan":3}`)}, model.StageSpec{Deploy: &model.DeployStage{}})
		if err == nil || !strings.Contains(err.Error(), `stage "x"`) {
			t.Errorf("err = %v, want one naming the stage", err)
		}
	})
}

// TestDeploySummaryNumbersOnce: a running deploy's summary counts the
// plan's steps only, not the canary's own steps inside them.
func TestDeploySummaryNumbersOnce(t *testing.T) {
	t.Parallel()
	st := deployState{Phase: phaseRun, Plan: progressPlan, Next: 3}
	var out deployOutput
	if err := json.Unmarshal((&Deploy{}).output(st, world{env: model.Environment{Name: "prod"}}, ""), &out); err != nil {
		t.Fatal(err)
	}
	if want := "step 4/6: judge the canary against the baseline"; out.Summary != want {
		t.Errorf("summary %q, want %q", out.Summary, want)
	}
}
