package stage

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// These tests drive Deploy.Run call by call, as the engine does: a real
// SQLite store, the writes of each call committed before the next (the
// step helper), the clock moved to when the runner asks to be called
// again, and a fake target. The step helper also fails a test when a call
// makes more than one call to the target or writes the store itself.

func highlander() model.Strategy { return model.Strategy{Type: model.StrategyHighlander} }

// canary is a canary at 25% with a baseline, then steps, judged by the
// threshold judge over 1-minute intervals.
func canary(steps ...model.CanaryStep) model.Strategy {
	w := 25
	return model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
		Steps:    append([]model.CanaryStep{{SetWeight: &w}}, steps...),
		Analysis: &model.AnalysisSpec{Judge: model.JudgeThreshold},
	}}
}

func pauseFor(d time.Duration) model.CanaryStep {
	return model.CanaryStep{Pause: &model.PauseStep{Duration: model.Duration(d)}}
}

func analyzeFor(intervals int) model.CanaryStep {
	return model.CanaryStep{Analysis: &model.AnalysisStep{Interval: model.Duration(time.Minute), Intervals: intervals}}
}

// start stores a running execution id of checkout with one deploy stage
// of version by strategy, created at at, and returns its runner input.
func (b *deployBundle) start(t *testing.T, id, version string, strategy model.Strategy, at time.Time) Input {
	t.Helper()
	spec := model.StageSpec{Name: "deploy", Deploy: &model.DeployStage{Environment: b.env, Strategy: strategy}}
	exec := &model.Execution{
		ID: id, Pipeline: "release", Application: "checkout", Status: model.ExecutionRunning,
		Params:    map[string]string{"version": version},
		Trigger:   model.Trigger{Kind: "manual", Actor: "ada"},
		Spec:      model.Pipeline{Name: "release", Application: "checkout", Stages: []model.StageSpec{spec}},
		CreatedAt: at,
		Stages:    []model.Stage{{Name: "deploy", Type: model.StageDeploy, Status: model.StageRunning, Attempt: 1, StartedAt: &at}},
	}
	if err := b.store.ExecutionInsert(t.Context(), exec); err != nil {
		t.Fatal(err)
	}
	got, err := b.store.ExecutionGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Execution: got, Stage: &got.Stages[0], Spec: spec, Now: at}
}

// end records the stage and its execution as ended, as the engine would,
// which frees the lease.
func (b *deployBundle) end(t *testing.T, in Input, status model.StageStatus) {
	t.Helper()
	ctx := t.Context()
	st, err := b.store.StageGet(ctx, in.Execution.ID, in.Stage.Name)
	if err != nil {
		t.Fatal(err)
	}
	st.Status, st.EndedAt = status, &in.Now
	if err := b.store.StageUpdate(ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}); err != nil {
		t.Fatal(err)
	}
	to := model.ExecutionSucceeded
	if status != model.StageSucceeded {
		to = model.ExecutionFailed
	}
	if err := b.store.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{ID: in.Execution.ID, From: []model.ExecutionStatus{model.ExecutionRunning}, To: to, EndedAt: &in.Now}); err != nil {
		t.Fatal(err)
	}
}

// deployV1 deploys checkout v1 by highlander (checkout-v001 takes all
// traffic) and forgets the target calls it made.
func (b *deployBundle) deployV1(t *testing.T) {
	t.Helper()
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	if r := b.run(t, &in, 20); r.Outcome != Succeeded {
		t.Fatalf("deploying v1: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	b.end(t, in, model.StageSucceeded)
	b.target.takeHistory()
}

// groups is the stored cluster by name.
func (b *deployBundle) groups(t *testing.T) map[string]model.ServerGroup {
	t.Helper()
	list, err := b.store.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "checkout", IncludeDestroyed: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.ServerGroup{}
	for _, sg := range list {
		out[sg.Name] = sg
	}
	return out
}

func eventKinds(r Result) []model.EventKind {
	var kinds []model.EventKind
	for _, ev := range r.Events {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

func wantGroup(t *testing.T, groups map[string]model.ServerGroup, name string, status model.ServerGroupStatus, weight int, lastGood bool) {
	t.Helper()
	sg, ok := groups[name]
	if !ok {
		t.Fatalf("no server group %s in %v", name, groups)
	}
	if sg.Status != status || sg.Weight != weight || sg.LastGood != lastGood {
		t.Errorf("%s: %s weight %d last good %v; want %s weight %d last good %v", name, sg.Status, sg.Weight, sg.LastGood, status, weight, lastGood)
	}
}

func TestDeployHighlander(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	r := b.step(t, &in)
	if r.Outcome != Continue || !reflect.DeepEqual(eventKinds(r), []model.EventKind{model.EventDeployStarted}) {
		t.Fatalf("first call: %s %v, want the plan and deploy_started", outcomeName(r.Outcome), eventKinds(r))
	}
	r = b.step(t, &in) // records the new group, starts nothing yet
	if ins, ok := onlyWrite[ServerGroupInsert](r); !ok || ins.Group.Status != model.ServerGroupCreating || ins.Group.Name != "checkout-v001" {
		t.Fatalf("creating: writes %+v, want one ServerGroupInsert of checkout-v001 (creating)", r.Writes)
	}
	if h := b.target.takeHistory(); len(h) > 0 {
		t.Fatalf("the call that records the group also called the target: %v", h)
	}
	r = b.run(t, &in, 20)
	if r.Outcome != Succeeded || !reflect.DeepEqual(eventKinds(r), []model.EventKind{model.EventDeploySucceeded}) {
		t.Fatalf("%s %q %v, want Succeeded with deploy_succeeded", outcomeName(r.Outcome), r.Reason, eventKinds(r))
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupUp, 100, true)
	b.end(t, in, model.StageSucceeded)
	b.target.takeHistory()

	// v2 replaces v1: one target call per runner call, in this order.
	in = b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Hour))
	if r := b.run(t, &in, 20); r.Outcome != Succeeded {
		t.Fatalf("v2: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	want := []string{
		"Ensure checkout-v002",
		"CheckHealthy checkout-v002",
		"Route [{checkout-v001 0 false} {checkout-v002 100 false}]",          // send all traffic to v2
		"ConfirmTraffic [{checkout-v001 0 false} {checkout-v002 100 false}]", // ... and see it arrive
		"Route [{checkout-v001 0 false} {checkout-v002 100 false}]",          // mark v2 good
		"ConfirmTraffic [{checkout-v001 0 false} {checkout-v002 100 false}]",
		"Route [{checkout-v002 100 false}]", // take v1 out of the routes
		"ConfirmTraffic [{checkout-v002 100 false}]",
		"Destroy checkout-v001", // only once no request goes to it
	}
	if got := b.target.takeHistory(); !reflect.DeepEqual(got, want) {
		t.Errorf("target calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupDestroyed, 0, false)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupUp, 100, true)
}

// onlyWrite is r's one write, when it is a W.
func onlyWrite[W Write](r Result) (W, bool) {
	var zero W
	if len(r.Writes) != 1 {
		return zero, false
	}
	w, ok := r.Writes[0].(W)
	return w, ok
}

func TestDeployCanary(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	in := b.start(t, "exec-2", "v2", canary(pauseFor(time.Minute), analyzeFor(2)), clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Succeeded {
		t.Fatalf("%s %s", outcomeName(r.Outcome), r.Reason)
	}
	history := b.target.takeHistory()
	if got, want := firstRoute(history), "Route [{checkout-v001 50 false} {checkout-v002 25 false} {checkout-v003 25 true}]"; got != want {
		t.Errorf("setWeight 25: %s, want %s (baseline v002 and canary v003 25%% each)", got, want)
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupDestroyed, 0, false)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupDestroyed, 0, false) // the baseline
	wantGroup(t, groups, "checkout-v003", model.ServerGroupUp, 100, true)
	if sg := groups["checkout-v003"]; sg.Role != model.RoleProduction {
		t.Errorf("the promoted canary's role is %s, want production", sg.Role)
	}
	if got := b.target.routeWeights(); !reflect.DeepEqual(got, map[string]int{"checkout-v003": 100}) {
		t.Errorf("routes %v, want all on checkout-v003", got)
	}
	recs, err := b.store.AnalysisList(t.Context(), "exec-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Sequence != 1 || recs[1].Sequence != 2 || recs[0].Outcome != "pass" || recs[1].Outcome != "pass" {
		t.Fatalf("analysis records %+v, want two passes, sequences 1 and 2", recs)
	}
	// Both intervals lasted their minute, after the minute's pause.
	if start := clock.Add(time.Hour); recs[0].EndedAt.Sub(recs[0].StartedAt) != time.Minute || recs[0].StartedAt.Before(start.Add(time.Minute)) {
		t.Errorf("first interval %v to %v, want one minute, after the pause", recs[0].StartedAt, recs[0].EndedAt)
	}
	if v := outputOf(t, r)["verdicts"].([]any); len(v) != 2 {
		t.Errorf("output verdicts %v, want 2", v)
	}
}

func firstRoute(calls []string) string {
	for _, c := range calls {
		if strings.HasPrefix(c, "Route ") {
			return c
		}
	}
	return ""
}

// A canary that fails its analysis is undone: traffic goes back to what
// served before and the new groups are destroyed, the canary marked rolled
// back.
func TestDeployCanaryFailingAnalysisRollsBack(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	b.target.errorsPer1000 = map[model.ServerGroupRole]uint64{model.RoleCanary: 100}
	in := b.start(t, "exec-2", "v2", canary(analyzeFor(2)), clock.Add(time.Hour))
	r := b.run(t, &in, 60)
	if r.Outcome != Failed {
		t.Fatalf("%s %s, want Failed", outcomeName(r.Outcome), r.Reason)
	}
	for _, want := range []string{"canary analysis failed: ", "rolled back automatically: traffic is back on the previous server group"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q does not say %q", r.Reason, want)
		}
	}
	if got := eventKinds(r); !reflect.DeepEqual(got, []model.EventKind{model.EventDeployFailed, model.EventRolledBack}) {
		t.Errorf("events %v, want deploy_failed and rolled_back", got)
	}
	if got := b.target.routeWeights(); !reflect.DeepEqual(got, map[string]int{"checkout-v001": 100}) {
		t.Errorf("routes %v, want all back on checkout-v001", got)
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupUp, 100, true)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupDestroyed, 0, false)
	wantGroup(t, groups, "checkout-v003", model.ServerGroupDestroyed, 0, false)
	if !groups["checkout-v003"].RolledBack {
		t.Error("the failed canary is not marked rolled back")
	}
	recs, err := b.store.AnalysisList(t.Context(), "exec-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Outcome != "fail" {
		t.Errorf("analysis records %+v, want the one failed interval", recs)
	}
}

// Under onFailure: fail a failed deploy leaves the cluster as it is.
func TestDeployOnFailureFailLeavesTheCluster(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	b.target.unhealthy = "v2"
	in := b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Hour))
	in.Spec.OnFailure = model.OnFailureFail
	r := b.run(t, &in, 20)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "did not become healthy") || !strings.Contains(r.Reason, "left as it is (onFailure: fail)") {
		t.Fatalf("%s %q, want Failed, left as it is", outcomeName(r.Outcome), r.Reason)
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupUp, 100, true)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupUp, 0, false)
}

// Canceling a canary at a pause undoes it.
func TestDeployCancelMidCanary(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	in := b.start(t, "exec-2", "v2", canary(pauseFor(0), analyzeFor(1)), clock.Add(time.Hour))
	r := b.run(t, &in, 20)
	if r.Outcome != WaitForPerson {
		t.Fatalf("%s %s, want WaitForPerson at the pause", outcomeName(r.Outcome), r.Reason)
	}
	if got := b.target.routeWeights(); got["checkout-v003"] != 25 || got["checkout-v001"] != 50 {
		t.Fatalf("routes at the pause %v, want the canary at 25%%", got)
	}
	// The progress the UI reads from the state: the pause runs, in the
	// plan's numbering, without the canary's own "step 2: ".
	p, err := ReadDeployProgress(model.Stage{Name: "deploy", Status: model.StageWaiting, State: r.State}, in.Spec)
	if err != nil || p.Current < 0 {
		t.Fatalf("progress at the pause: %+v, %v", p, err)
	}
	if at := p.Steps[p.Current]; at.Action != "pause" || at.State != StepRunning || at.What != "pause until someone approves" ||
		p.Steps[p.Current-1].State != StepDone || p.Steps[p.Current-1].Weight != 25 {
		t.Errorf("progress at the pause: step %+v after %+v; want the pause running after the 25%% traffic step", at, p.Steps[p.Current-1])
	}
	in.Canceled = true
	r = b.run(t, &in, 20)
	if r.Outcome != Failed || !strings.HasPrefix(r.Reason, "canceled; rolled back automatically: traffic is back on the previous server group") {
		t.Fatalf("%s %q, want Failed: canceled, rolled back", outcomeName(r.Outcome), r.Reason)
	}
	if got := b.target.routeWeights(); !reflect.DeepEqual(got, map[string]int{"checkout-v001": 100}) {
		t.Errorf("routes %v, want all back on checkout-v001", got)
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupUp, 100, true)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupDestroyed, 0, false)
	wantGroup(t, groups, "checkout-v003", model.ServerGroupDestroyed, 0, false)
}

// A first deploy that fails removes its group: nothing served before.
func TestDeployFailedFirstDeployRemovesItsGroup(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.target.unhealthy = "v1"
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	r := b.run(t, &in, 20)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "nothing served before, so the new server group was removed") {
		t.Fatalf("%s %q", outcomeName(r.Outcome), r.Reason)
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupDestroyed, 0, false)
	if len(b.target.routeWeights()) != 0 {
		t.Errorf("routes %v, want none", b.target.routeWeights())
	}
}

// When another deploy takes the new group's name between the call that
// picked it and the commit, the write fails with ErrConflict, nothing of
// the call is kept, and the call made again picks the next name.
func TestDeployCreatePicksAnotherNameWhenItsNameIsTaken(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	b.step(t, &in) // plans
	r := b.deploy.Run(t.Context(), in)
	ins, ok := onlyWrite[ServerGroupInsert](r)
	if !ok || ins.Group.Name != "checkout-v001" {
		t.Fatalf("writes %+v, want the record of checkout-v001", r.Writes)
	}
	rival := model.ServerGroup{Name: "checkout-v001", Application: "checkout", Environment: "local", Sequence: 1, Version: "v9",
		Role: model.RoleProduction, Status: model.ServerGroupUp, Instances: 1}
	if err := b.store.ServerGroupInsert(t.Context(), &rival); err != nil {
		t.Fatal(err)
	}
	err := b.store.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return ApplyWrites(ctx, tx, r.Writes) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("committing a taken name: %v, want ErrConflict", err)
	}
	if r := b.run(t, &in, 20); r.Outcome != Succeeded {
		t.Fatalf("%s %s", outcomeName(r.Outcome), r.Reason)
	}
	if len(b.target.started) != 1 || b.target.started[0].Name != "checkout-v002" {
		t.Fatalf("started %v, want checkout-v002 only", b.target.started)
	}
	wantGroup(t, b.groups(t), "checkout-v002", model.ServerGroupUp, 100, true)
}

// A wait-healthy step never blocks: it looks once per call and asks to be
// called again, measuring its wait from the step's stored start, so the
// startup timeout counts the whole wait across calls (and restarts).
func TestDeployWaitsForHealthWithoutBlocking(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.target.slowVersion, b.target.slow, b.target.startup = "v1", time.Second, 3*time.Second
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	r := b.run(t, &in, 20)
	if r.Outcome != Succeeded {
		t.Fatalf("a group healthy after 1s: %s %q, want Succeeded", outcomeName(r.Outcome), r.Reason)
	}
	looks := 0
	for _, c := range b.target.takeHistory() {
		if strings.HasPrefix(c, "CheckHealthy") {
			looks++
		}
	}
	// 1 s of waiting, one look every healthPoll: 5 not yet, then healthy.
	if want := int(time.Second/healthPoll) + 1; looks != want {
		t.Errorf("%d looks at the group's health, want %d (one per %s for 1s, then the healthy one)", looks, want, healthPoll)
	}
	b.end(t, in, model.StageSucceeded)

	// Never healthy: the wait ends at the startup timeout, counted from the
	// step's start, and the deploy rolls back.
	b.target.slowVersion, b.target.slow = "v2", time.Hour
	in = b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Hour))
	var waiting Result
	for range 100 {
		r = b.step(t, &in)
		if r.Outcome != Continue {
			break
		}
		if strings.Contains(string(r.Output), "to become healthy") {
			waiting = r
		}
	}
	if waiting.Outcome != Continue || !strings.Contains(string(waiting.Output), "waiting for checkout-v002 to become healthy") {
		t.Errorf("while waiting the stage says %s, want it to name the group it waits for", waiting.Output)
	}
	if r.Outcome != Failed || !strings.Contains(r.Reason, "did not answer GET /healthz within 3s") {
		t.Fatalf("a group never healthy: %s %q, want Failed with the startup timeout's words", outcomeName(r.Outcome), r.Reason)
	}
}
