package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

var tNow = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// effectLines renders effects one line per change, in the words of the
// stage lifecycle, so a table says what should happen.
func effectLines(eff Effects) []string {
	var out []string
	for _, w := range eff.Stages {
		st := w.Stage
		line := fmt.Sprintf("%s %s->%s", st.Name, w.From, st.Status)
		if st.WakeAt != nil {
			line += " wake " + st.WakeAt.Sub(tNow).String()
		}
		if st.ClaimedBy != "" {
			line += " claimed " + st.ClaimedBy
		}
		if st.Reason != "" {
			line += ": " + st.Reason
		}
		out = append(out, line)
	}
	if w := eff.Execution; w != nil {
		out = append(out, fmt.Sprintf("execution %s: %s", w.To, w.Reason))
	}
	for _, ev := range eff.Events {
		out = append(out, fmt.Sprintf("event %s %s %s", ev.Kind, ev.Action, ev.Stage))
	}
	for _, n := range eff.Nudges {
		out = append(out, "job "+n)
	}
	for _, w := range eff.Wakes {
		out = append(out, fmt.Sprintf("timer %s in %s", w.Stage, w.At.Sub(tNow)))
	}
	if eff.Inline != "" {
		out = append(out, "inline "+eff.Inline)
	}
	if eff.Dropped != "" {
		out = append(out, "dropped")
	}
	return out
}

// held marks a running stage as claimed by claim, at version 3.
func held(exec *model.Execution, name, claim string) *model.Execution {
	st := findStage(exec, name)
	st.Status, st.ClaimedBy, st.Version, st.WakeAt, st.Attempt = model.StageRunning, claim, 3, &tNow, 1
	return exec
}

// heldWaiting is held, for a stage that waits for a person (a timer woke it).
func heldWaiting(exec *model.Execution, name, claim string) *model.Execution {
	held(exec, name, claim)
	findStage(exec, name).Status = model.StageWaiting
	return exec
}

func TestTransition(t *testing.T) {
	until := tNow.Add(time.Minute)
	later := tNow.Add(30 * time.Second)
	cases := []struct {
		name string
		exec *model.Execution
		ev   Event
		want []string
	}{
		{
			name: "a start runs the first stages, each with a job",
			exec: pipelineRun(t, "a b c<-a"),
			ev:   Started{},
			want: []string{"a pending->running wake 0s", "b pending->running wake 0s", "job a", "job b"},
		},
		{
			name: "a finished step starts the next stage, claimed for the worker that carries on",
			exec: held(pipelineRun(t, "a b<-a c<-a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Succeed(nil), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"a running->succeeded", "b pending->running wake 0s claimed w/2", "c pending->running wake 0s", "job c", "inline b"},
		},
		{
			name: "without a next claim every started stage gets a job",
			exec: held(pipelineRun(t, "a b<-a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Succeed(nil)},
			want: []string{"a running->succeeded", "b pending->running wake 0s", "job b"},
		},
		{
			name: "a step due again at once stays claimed for the worker",
			exec: held(pipelineRun(t, "a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Again(time.Time{}, map[string]int{"next": 2}), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"a running->running wake 0s claimed w/2", "inline a"},
		},
		{
			name: "a step due later stores its timer and sets an in-process one",
			exec: held(pipelineRun(t, "a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Again(later, nil), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"a running->running wake 30s", "timer a in 30s"},
		},
		{
			name: "a transient error waits its backoff",
			exec: retrying(held(pipelineRun(t, "a"), "a", "w/1"), 2),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Retry(errors.New("503"))},
			want: []string{"a running->running wake 1s: attempt 1 failed: 503; retrying in 1s", "timer a in 1s"},
		},
		{
			name: "a stage written by someone else during the step is looked at again at once",
			exec: held(pipelineRun(t, "a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 2, Result: stage.Result{Outcome: stage.WaitForPerson}},
			want: []string{"a running->waiting wake 0s", "event judgment_waiting  a", "job a"},
		},
		{
			name: "waiting for a person with no time limit stores no timer",
			exec: held(pipelineRun(t, "a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Result{Outcome: stage.WaitForPerson}},
			want: []string{"a running->waiting", "event judgment_waiting  a"},
		},
		{
			name: "a stage that waits still, woken by its timer, announces no second wait",
			exec: heldWaiting(pipelineRun(t, "a"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Result{Outcome: stage.WaitForPerson}},
			want: []string{"a waiting->waiting"},
		},
		{
			name: "waiting for a person wakes at the stage's deadline",
			exec: withDeadline(held(pipelineRun(t, "a"), "a", "w/1"), "a", tNow.Add(time.Hour)),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Result{Outcome: stage.WaitForPerson}},
			want: []string{"a running->waiting wake 1h0m0s", "event judgment_waiting  a", "timer a in 1h0m0s"},
		},
		{
			name: "a wait past the deadline is moved to the deadline",
			exec: withDeadline(held(pipelineRun(t, "a"), "a", "w/1"), "a", tNow.Add(10*time.Second)),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Again(later, nil)},
			want: []string{"a running->running wake 10s", "timer a in 10s"},
		},
		{
			name: "past its deadline a stage undoing itself keeps the waits it asks for",
			exec: withDeadline(held(pipelineRun(t, "a"), "a", "w/1"), "a", tNow.Add(-time.Minute)),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Again(tNow.Add(5*time.Second), nil), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"a running->running wake 5s", "timer a in 5s"},
		},
		{
			name: "the last stage's end finishes the execution",
			exec: held(pipelineRun(t, "a b", "b=succeeded"), "a", "w/1"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Succeed(nil), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"a running->succeeded", "execution succeeded: ", "event execution_finished  "},
		},
		{
			name: "a result whose claim no longer holds is dropped",
			exec: held(pipelineRun(t, "a"), "a", "w/9"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Succeed(nil)},
			want: []string{"dropped"},
		},
		{
			name: "a retry after a commit whose answer was lost carries on with what that commit claimed",
			exec: held(pipelineRun(t, "a b<-a", "a=succeeded"), "b", "w/2"),
			ev:   StepDone{Stage: "a", Claim: "w/1", Version: 3, Result: stage.Succeed(nil), NextClaim: "w/2", ClaimUntil: until},
			want: []string{"inline b", "dropped"},
		},
		{
			name: "an approval wakes the waiting stage at once",
			exec: pipelineRun(t, "a", "a=waiting"),
			ev:   Judged{Stage: "a", Judgment: model.Judgment{Decision: model.DecisionApprove, Actor: "ada"}},
			want: []string{"a waiting->running wake 0s", "event manual_step approve a", "job a"},
		},
		{
			name: "a cancel ends the execution and wakes what runs to clean up",
			exec: pipelineRun(t, "a b c d", "a=running", "b=waiting", "d=succeeded"),
			ev:   Canceled{Actor: "ada", Reason: "wrong version"},
			want: []string{
				"a running->running wake 0s", "b waiting->running wake 0s",
				"c pending->canceled: canceled by ada: wrong version",
				"execution canceled: canceled by ada: wrong version",
				"event manual_step cancel ", "event execution_finished  ",
				"job a", "job b",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := deepCopy(t, tc.exec)
			eff, err := Transition(tc.exec, tc.ev, tNow)
			if err != nil {
				t.Fatal(err)
			}
			if got := effectLines(eff); !slices.Equal(got, tc.want) {
				t.Errorf("effects:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if !reflect.DeepEqual(before, tc.exec) {
				t.Error("Transition changed the snapshot it was given")
			}
			for _, w := range eff.Stages {
				orig := findStage(before, w.Stage.Name)
				if w.Stage.Version != orig.Version {
					t.Errorf("stage %s written at version %d, read at %d: the write must be guarded by the version read", w.Stage.Name, w.Stage.Version, orig.Version)
				}
				if w.Stage.Status != model.StageRunning && w.Stage.ClaimedBy != "" {
					t.Errorf("stage %s ends %s still claimed by %s", w.Stage.Name, w.Stage.Status, w.Stage.ClaimedBy)
				}
			}
		})
	}
}

func TestTransitionRefusesAJudgmentOfAStageNotWaiting(t *testing.T) {
	_, err := Transition(pipelineRun(t, "a", "a=running"), Judged{Stage: "a", Judgment: model.Judgment{Decision: model.DecisionApprove}}, tNow)
	if !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("judging a running stage: %v, want ErrNotWaiting", err)
	}
	// Past its deadline a waiting stage is timing out (a worker may be
	// failing it right now): an approval would be accepted, then lost.
	late := withDeadline(pipelineRun(t, "a", "a=waiting"), "a", tNow)
	_, err = Transition(late, Judged{Stage: "a", Judgment: model.Judgment{Decision: model.DecisionApprove}}, tNow)
	if !errors.Is(err, ErrNotWaiting) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("judging a waiting stage at its deadline: %v, want ErrNotWaiting saying it timed out", err)
	}
}

// TestTransitionKeepsEveryActiveStageMoving plays random pipelines to the
// end through Transition alone, with random outcomes, and checks after
// every event the engine's invariant: a running stage has a stored timer
// (WakeAt) and a job, a worker's claim or an in-process timer. Outcomes
// cover every kind a runner returns; waiting stages are approved or the
// execution canceled.
func TestTransitionKeepsEveryActiveStageMoving(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		exec := randomPipelineRun(rng)
		exec.Status = model.ExecutionRunning
		eff, err := Transition(exec, Started{}, tNow)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		jobs := map[string]bool{}
		for steps := 0; ; steps++ {
			if steps > 500 {
				t.Fatalf("seed %d: %s did not end in 500 events", seed, pipelineString(exec))
			}
			exec = eff.appliedTo(exec)
			for _, n := range eff.Nudges {
				jobs[n] = true
			}
			if eff.Inline != "" {
				jobs[eff.Inline] = true
			}
			for _, st := range exec.Stages {
				// A running stage needs a job, the claim of a worker carrying
				// on, or an in-process timer, not just its stored timer (the
				// due scan is the safety net, not the way). A waiting stage
				// needs nothing: a person moves it on.
				if st.Status == model.StageRunning && !jobs[st.Name] {
					t.Fatalf("seed %d: stage %s is running with no job, claim or timer", seed, st.Name)
				}
				if st.Status == model.StageWaiting {
					jobs[st.Name] = true // the person, in this simulation
				}
				if st.Status == model.StageRunning && st.WakeAt == nil {
					t.Fatalf("seed %d: stage %s is running without a stored timer", seed, st.Name)
				}
			}
			if exec.Status.Terminal() {
				break
			}
			var active []string
			for name := range jobs {
				active = append(active, name)
			}
			if len(active) == 0 {
				t.Fatalf("seed %d: execution running with nothing to move it: %s", seed, pipelineString(exec))
			}
			slices.Sort(active)
			name := active[rng.IntN(len(active))]
			delete(jobs, name)
			st := findStage(exec, name)
			claim := fmt.Sprintf("w/%d", steps)
			if st.ClaimedBy == "" {
				st.ClaimedBy = claim // the job's claim
			}
			if st.Status == model.StageWaiting {
				// Only a person (or a cancel) moves it on.
				var ev Event = Judged{Stage: name, Judgment: model.Judgment{Decision: model.DecisionApprove}}
				if rng.IntN(4) == 0 {
					ev = Canceled{Actor: "ada"}
				}
				if eff, err = Transition(exec, ev, tNow); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				continue
			}
			results := []stage.Result{
				stage.Succeed(nil), stage.Failf("broke"), stage.Again(time.Time{}, nil), stage.Again(tNow.Add(time.Second), nil),
				stage.Retry(errors.New("503")), {Outcome: stage.WaitForPerson},
			}
			res := results[rng.IntN(len(results))]
			eff, err = Transition(exec, StepDone{Stage: name, Claim: st.ClaimedBy, Version: st.Version, Result: res, NextClaim: claim + "+1", ClaimUntil: tNow.Add(time.Minute)}, tNow)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			// A stage due later is woken by its timer: count it as a job.
			for _, w := range eff.Wakes {
				jobs[w.Stage] = true
			}
		}
	}
}

func retrying(exec *model.Execution, retries int) *model.Execution {
	exec.Spec.Stages[0].Retries = retries
	return exec
}

func withDeadline(exec *model.Execution, name string, at time.Time) *model.Execution {
	findStage(exec, name).Deadline = &at
	return exec
}

func deepCopy(t *testing.T, exec *model.Execution) *model.Execution {
	t.Helper()
	b, err := json.Marshal(exec)
	if err != nil {
		t.Fatal(err)
	}
	var c model.Execution
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	// Fields JSON does not carry.
	for i := range c.Stages {
		c.Stages[i].ClaimedBy, c.Stages[i].ClaimUntil = exec.Stages[i].ClaimedBy, exec.Stages[i].ClaimUntil
	}
	return &c
}
