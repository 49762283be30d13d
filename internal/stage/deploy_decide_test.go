package stage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// threeSteps is a plan of three steps, as the decisions see it.
var threeSteps = strategy.Plan{Steps: []strategy.Step{{Action: strategy.ActionCreate}, {Action: strategy.ActionWaitHealthy}, {Action: strategy.ActionSetTraffic}}}

func TestDecideConfirm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		reached bool
		detail  string
		err     error
		waited  time.Duration
		want    confirmVerdict
		words   string
	}{
		{"reached goes on", true, "", nil, 0, confirmReached, ""},
		{"stale waits", false, "Service checkout still sends requests to pod p1", nil, 3 * time.Second, confirmWait, "(3s so far): Service checkout still sends requests to pod p1"},
		{"an error is not a verdict: wait", false, "", errTest, time.Second, confirmWait, "could not look: test"},
		{"stale past the bound fails with what is stale", false, "no ready endpoint yet for v2", nil, trafficConfirmTimeout, confirmStale, "within 1m30s: no ready endpoint yet for v2"},
		{"an error past the bound fails with it", false, "", errTest, trafficConfirmTimeout + time.Second, confirmStale, "could not look: test"},
	} {
		got, words := decideConfirm(tc.reached, tc.detail, tc.err, tc.waited)
		if got != tc.want || !strings.Contains(words, tc.words) {
			t.Errorf("%s: decideConfirm = %d %q, want %d with %q", tc.name, got, words, tc.want, tc.words)
		}
	}
}

var errTest = errors.New("test")

func TestNextMove(t *testing.T) {
	t.Parallel()
	emptyAbort, twoAbort := &strategy.Plan{}, &strategy.Plan{Steps: threeSteps.Steps[:2]}
	for _, tc := range []struct {
		name     string
		st       deployState
		canceled bool
		want     move
	}{
		{"a new stage plans", deployState{}, false, movePlan},
		{"a new stage that is canceled still goes through planning (which refuses)", deployState{}, true, movePlan},
		{"a planned stage runs its first step", deployState{Phase: phaseRun, Plan: threeSteps}, false, moveStep},
		{"in the middle of the plan", deployState{Phase: phaseRun, Plan: threeSteps, Next: 2}, false, moveStep},
		{"every step done", deployState{Phase: phaseRun, Plan: threeSteps, Next: 3}, false, moveSucceed},
		{"canceled mid-plan aborts", deployState{Phase: phaseRun, Plan: threeSteps, Next: 1}, true, moveStartAbort},
		{"canceled after the last step still aborts", deployState{Phase: phaseRun, Plan: threeSteps, Next: 3}, true, moveStartAbort},
		{"an abort without its plan plans it", deployState{Phase: phaseAbort, Plan: threeSteps}, false, movePlanAbort},
		{"an abort runs its steps", deployState{Phase: phaseAbort, Abort: twoAbort, AbortNext: 1}, false, moveAbortStep},
		{"a cancel does not interrupt an abort", deployState{Phase: phaseAbort, Abort: twoAbort}, true, moveAbortStep},
		{"an abort at its end fails", deployState{Phase: phaseAbort, Abort: twoAbort, AbortNext: 2}, false, moveAbortEnd},
		{"an empty abort plan (a rollback stage) fails at once", deployState{Phase: phaseAbort, Abort: emptyAbort}, false, moveAbortEnd},
		{"a step routed: confirm before the next", deployState{Phase: phaseRun, Plan: threeSteps, Next: 1, RouteSent: &clock}, false, moveConfirm},
		{"the last step routed: confirm before succeeding", deployState{Phase: phaseRun, Plan: threeSteps, Next: 3, RouteSent: &clock}, false, moveConfirm},
		{"canceled while confirming aborts (the abort routes and confirms itself)", deployState{Phase: phaseRun, Plan: threeSteps, Next: 1, RouteSent: &clock}, true, moveStartAbort},
		{"an abort step routed: confirm before the next", deployState{Phase: phaseAbort, Abort: twoAbort, AbortNext: 1, RouteSent: &clock}, false, moveConfirm},
		{"an abort's last step routed: confirm before failing", deployState{Phase: phaseAbort, Abort: twoAbort, AbortNext: 2, RouteSent: &clock}, false, moveConfirm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := nextMove(tc.st, tc.canceled); got != tc.want {
				t.Fatalf("nextMove = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAfterStep(t *testing.T) {
	t.Parallel()
	started := clock.Add(-time.Minute)
	running := deployState{Phase: phaseRun, Plan: threeSteps, Next: 1, StepStarted: &started, Analysis: &analysisState{}}
	for _, tc := range []struct {
		name      string
		out       stepOutcome
		undo      bool
		want      after
		wantNext  int
		wantPhase string
		wantReset bool // StepStarted and Analysis cleared
	}{
		{"a done step moves on and forgets its progress", done(), true, afterNext, 2, phaseRun, true},
		{"a step under way keeps its progress", waitUntil(clock.Add(time.Minute), "measuring"), true, afterWait, 1, phaseRun, false},
		{"a step that recorded its intent is called again", again("recorded"), true, afterWait, 1, phaseRun, false},
		{"a pause waits for a person", stepOutcome{kind: stepWaitPerson}, true, afterPerson, 1, phaseRun, false},
		{"a failure under onFailure rollback aborts", failStep("boom"), true, afterAbort, 1, phaseAbort, true},
		{"a failure under onFailure fail leaves the cluster", failStep("boom"), false, afterLeave, 1, phaseRun, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, got := afterStep(running, tc.out, tc.undo)
			if got != tc.want || st.Next != tc.wantNext || st.Phase != tc.wantPhase {
				t.Fatalf("afterStep = %d (next %d, phase %s), want %d (next %d, phase %s)", got, st.Next, st.Phase, tc.want, tc.wantNext, tc.wantPhase)
			}
			if reset := st.StepStarted == nil && st.Analysis == nil; reset != tc.wantReset {
				t.Errorf("step progress cleared: %v, want %v", reset, tc.wantReset)
			}
			if tc.want == afterAbort && (st.FailReason != "boom" || st.Abort != nil) {
				t.Errorf("abort state: reason %q, plan %v; want reason boom and no plan yet (planned on the next call)", st.FailReason, st.Abort)
			}
		})
	}
	if running.Next != 1 || running.StepStarted == nil {
		t.Fatal("afterStep changed the state it was given")
	}
}

func TestAfterAbortStep(t *testing.T) {
	t.Parallel()
	aborting := deployState{Phase: phaseAbort, Abort: &threeSteps, AbortNext: 1, AbortErrors: 1, FailReason: "boom"}
	for _, tc := range []struct {
		name       string
		st         deployState
		out        stepOutcome
		want       abortAfter
		wantAt     time.Time
		wantNext   int
		wantErrors int
	}{
		{"a done step moves on at once and forgets earlier errors", aborting, done(), abortNext, clock, 2, 0},
		{"a failed step is retried after a pause that grows", aborting, failStep("busy"), abortRetry, clock.Add(2 * time.Second), 1, 2},
		{"the third failure in a row gives up", deployState{Abort: &threeSteps, AbortNext: 1, AbortErrors: 2}, failStep("busy"), abortGiveUp, time.Time{}, 1, 3},
		{"a step under way is called again when it asks", aborting, waitUntil(clock.Add(time.Second), "health"), abortWait, clock.Add(time.Second), 1, 1},
		{"a step that recorded its intent is called again at once", aborting, again("unrouted"), abortWait, time.Time{}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, got, at := afterAbortStep(tc.st, tc.out, clock)
			if got != tc.want || !at.Equal(tc.wantAt) || st.AbortNext != tc.wantNext || st.AbortErrors != tc.wantErrors {
				t.Fatalf("afterAbortStep = %d at %v (next %d, errors %d), want %d at %v (next %d, errors %d)",
					got, at, st.AbortNext, st.AbortErrors, tc.want, tc.wantAt, tc.wantNext, tc.wantErrors)
			}
		})
	}
}

func TestAbortedReason(t *testing.T) {
	t.Parallel()
	serving := strategy.Cluster{ServerGroups: []model.ServerGroup{{Name: "checkout-v001", Status: model.ServerGroupUp, Weight: 100}}}
	for _, tc := range []struct {
		name           string
		st             deployState
		want           string
		wantRolledBack bool
	}{
		{"traffic went back", deployState{FailReason: "boom", Before: serving, Abort: &threeSteps},
			"boom; rolled back automatically: traffic is back on the previous server group", true},
		{"a first deploy is removed", deployState{FailReason: "boom", Abort: &threeSteps},
			"boom; rolled back automatically: nothing served before, so the new server group was removed", true},
		{"a rollback stage undoes nothing", deployState{FailReason: "boom", Before: serving, Abort: &strategy.Plan{}}, "boom", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, rolledBack := abortedReason(tc.st)
			if got != tc.want || rolledBack != tc.wantRolledBack {
				t.Fatalf("abortedReason = %q, %v; want %q, %v", got, rolledBack, tc.want, tc.wantRolledBack)
			}
		})
	}
}

func TestPauseOutcome(t *testing.T) {
	t.Parallel()
	timed := strategy.Step{Action: strategy.ActionPause, Pause: model.Duration(5 * time.Minute)}
	manual := strategy.Step{Action: strategy.ActionPause}
	started := clock
	for _, tc := range []struct {
		name       string
		step       strategy.Step
		now        time.Time
		judgment   *model.Judgment
		want       stepKind
		wantAt     time.Time
		wantClear  bool
		wantReason string
	}{
		{"a timed pause waits from when the step started", timed, clock.Add(time.Minute), nil, stepWait, clock.Add(5 * time.Minute), false, "paused for 5m"},
		{"a timed pause ends on time", timed, clock.Add(5 * time.Minute), nil, stepDone, time.Time{}, false, ""},
		{"a manual pause waits for a person", manual, clock.Add(time.Hour), nil, stepWaitPerson, time.Time{}, false, "approve to go on"},
		{"approve goes on and consumes the judgment", manual, clock, &model.Judgment{Decision: model.DecisionApprove, Actor: "ada"}, stepDone, time.Time{}, true, ""},
		{"reject fails, saying who and why", manual, clock, &model.Judgment{Decision: model.DecisionReject, Actor: "ada", Comment: "p99 is up"}, stepFail, time.Time{}, true,
			"canary rejected at a pause by ada: p99 is up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := pauseOutcome(tc.step, started, tc.now, tc.judgment)
			if out.kind != tc.want || !out.at.Equal(tc.wantAt) || out.clearJudgment != tc.wantClear || !strings.Contains(out.reason, tc.wantReason) {
				t.Fatalf("pauseOutcome = %+v, want kind %d at %v clear %v reason containing %q", out, tc.want, tc.wantAt, tc.wantClear, tc.wantReason)
			}
		})
	}
}

func TestNextDestroyMove(t *testing.T) {
	t.Parallel()
	for status, want := range map[model.ServerGroupStatus]destroyMove{
		model.ServerGroupUp:        destroyUnroute, // takes traffic: out of the routes first
		model.ServerGroupDisabled:  destroyStop,
		model.ServerGroupCreating:  destroyStop, // recorded, never routed
		model.ServerGroupDestroyed: destroyDone,
	} {
		if got := nextDestroyMove(model.ServerGroup{Status: status}); got != want {
			t.Errorf("a %s group: %d, want %d", status, got, want)
		}
	}
}
