package stage

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// The deploy stage's decisions: pure functions of its stored state and of
// what one step found, with no I/O. Run and the step executors act on them.

// move is what one call of a deploy stage does, decided from its state.
type move int

const (
	// movePlan: nothing is planned yet: wait for the lease, then plan.
	movePlan move = iota + 1
	// moveStep: execute the plan's next step, Plan.Steps[Next].
	moveStep
	// moveSucceed: every step of the plan is done: the stage succeeds.
	moveSucceed
	// moveStartAbort: canceled while running the plan: switch to aborting.
	moveStartAbort
	// movePlanAbort: aborting without an abort plan yet: plan it from the
	// cluster as committed now.
	movePlanAbort
	// moveAbortStep: execute the abort plan's next step, Abort.Steps[AbortNext].
	moveAbortStep
	// moveAbortEnd: the abort plan is done (or gave up): the stage fails.
	moveAbortEnd
	// moveConfirm: the last step routed traffic: look whether it reached
	// the groups it names before anything else (a destroy, a shrink, the
	// success) happens.
	moveConfirm
)

// nextMove decides what a call does from the stored state and whether the
// execution was canceled (or the stage timed out). Once aborting, a cancel
// changes nothing: the abort runs to its end.
func nextMove(st deployState, canceled bool) move {
	switch {
	case st.Phase == "":
		return movePlan
	case st.Phase == phaseAbort && st.Abort == nil:
		return movePlanAbort
	case st.Phase == phaseAbort && st.RouteSent != nil:
		return moveConfirm
	case st.Phase == phaseAbort && st.AbortNext >= len(st.Abort.Steps):
		return moveAbortEnd
	case st.Phase == phaseAbort:
		return moveAbortStep
	case canceled:
		return moveStartAbort
	case st.RouteSent != nil:
		return moveConfirm
	case st.Next >= len(st.Plan.Steps):
		return moveSucceed
	}
	return moveStep
}

type stepKind int

const (
	stepDone       stepKind = iota + 1 // the step is complete
	stepWait                           // call again at `at` (zero: at once)
	stepWaitPerson                     // wait for approve/reject (or until `at`)
	stepFail                           // the step failed with `reason`
)

// stepOutcome is what executing one step (or one call of a step that takes
// several) found, and the store changes it asks for.
type stepOutcome struct {
	kind          stepKind
	at            time.Time
	reason        string
	clearJudgment bool
	writes        []Write
	// routed: the call changed the traffic split; the deploy confirms it
	// reached the groups it names before it goes on.
	routed bool
	events []model.Event
}

func done(writes ...Write) stepOutcome { return stepOutcome{kind: stepDone, writes: writes} }

// routedDone is done for a call that changed the traffic split.
func routedDone(writes ...Write) stepOutcome {
	return stepOutcome{kind: stepDone, writes: writes, routed: true}
}

func waitUntil(t time.Time, why string) stepOutcome {
	return stepOutcome{kind: stepWait, at: t, reason: why}
}

// again asks for the next call at once, after writes are committed: the
// step has recorded its intent and acts on the next call.
func again(why string, writes ...Write) stepOutcome {
	return stepOutcome{kind: stepWait, reason: why, writes: writes}
}

func failStep(format string, args ...any) stepOutcome {
	return stepOutcome{kind: stepFail, reason: fmt.Sprintf(format, args...)}
}

// after is what the deploy does once a step of its plan has run.
type after int

const (
	// afterNext: the step is done: the next step, at once.
	afterNext after = iota + 1
	// afterWait: the step is under way: call again at the outcome's time.
	afterWait
	// afterPerson: the step waits for approve or reject (or the outcome's time).
	afterPerson
	// afterAbort: the step failed: undo the deploy (traffic back, what it
	// created removed), then fail.
	afterAbort
	// afterLeave: the step failed: fail, leaving the cluster as it is for a
	// person to look at.
	afterLeave
)

// afterStep says what a step's outcome means for the deploy and returns the
// state to store with it. A failure is undone when undo is set (onFailure:
// rollback, and every rollback stage, whose abort plan is empty), else left.
func afterStep(st deployState, out stepOutcome, undo bool) (deployState, after) {
	switch out.kind {
	case stepDone:
		st.Next++
		st.StepStarted, st.Analysis = nil, nil
		return st, afterNext
	case stepWait:
		return st, afterWait
	case stepWaitPerson:
		return st, afterPerson
	}
	if !undo {
		return st, afterLeave
	}
	return startAbort(st, out.reason), afterAbort
}

// startAbort switches the state to aborting for reason. The abort is
// planned on the next call, from the cluster as committed by then.
func startAbort(st deployState, reason string) deployState {
	st.Phase, st.Abort, st.AbortNext, st.AbortErrors, st.FailReason = phaseAbort, nil, 0, 0, reason
	st.StepStarted, st.Analysis, st.RouteSent = nil, nil, nil
	return st
}

// maxAbortErrors is how many times in a row an abort step may fail before
// the stage gives up and leaves the rest to a person.
const maxAbortErrors = 3

// abortAfter is what the abort does once one of its steps has run.
type abortAfter int

const (
	// abortNext: the step is done: the next, at once.
	abortNext abortAfter = iota + 1
	// abortWait: the step is under way: call again at the returned time.
	abortWait
	// abortRetry: the step failed: try it again at the returned time
	// (AbortErrors seconds later).
	abortRetry
	// abortGiveUp: the step failed maxAbortErrors times in a row: fail.
	abortGiveUp
)

// afterAbortStep says what an abort step's outcome means and returns the
// state to store with it and when to call again.
func afterAbortStep(st deployState, out stepOutcome, now time.Time) (deployState, abortAfter, time.Time) {
	switch out.kind {
	case stepDone:
		st.AbortNext++
		st.AbortErrors, st.StepStarted = 0, nil
		return st, abortNext, now
	case stepFail:
		st.AbortErrors++
		if st.AbortErrors >= maxAbortErrors {
			return st, abortGiveUp, time.Time{}
		}
		return st, abortRetry, now.Add(time.Duration(st.AbortErrors) * time.Second)
	}
	// Abort plans have no pauses: this is a wait-healthy in progress, or a
	// step that recorded its intent and acts on the next call.
	return st, abortWait, out.at
}

// abortedReason is why a deploy whose abort plan ran to its end failed, and
// whether the abort rolled anything back.
func abortedReason(st deployState) (string, bool) {
	switch {
	case st.Abort == nil || len(st.Abort.Steps) == 0:
		return st.FailReason, false
	case len(strategy.Servings(st.Before)) > 0:
		return st.FailReason + "; rolled back automatically: traffic is back on the previous server group", true
	}
	return st.FailReason + "; rolled back automatically: nothing served before, so the new server group was removed", true
}

// pauseOutcome decides a pause step: it waits for its duration from when
// the step started, or, with none, for a person's judgment (approve goes
// on, reject fails the deploy).
func pauseOutcome(step strategy.Step, started, now time.Time, j *model.Judgment) stepOutcome {
	if step.Pause.D() > 0 {
		until := started.Add(step.Pause.D())
		if now.Before(until) {
			return waitUntil(until, fmt.Sprintf("paused for %s (until %s)", step.Pause, until.Local().Format("15:04:05")))
		}
		return done()
	}
	if j.IsAnswer() {
		if j.Decision == model.DecisionApprove {
			return stepOutcome{kind: stepDone, clearJudgment: true}
		}
		return stepOutcome{kind: stepFail, clearJudgment: true, reason: "canary rejected at a pause by " + orSomeone(j.Actor) + commentSuffix(j.Comment)}
	}
	return stepOutcome{kind: stepWaitPerson, reason: "paused: approve to go on, reject to roll back"}
}

func commentSuffix(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}

// destroyMove is what a destroy step does on a call, by the group's status.
type destroyMove int

const (
	// destroyDone: the group is destroyed already.
	destroyDone destroyMove = iota + 1
	// destroyUnroute: the group is up: take it out of traffic first
	// (disabled, weight 0), and stop it on the next call.
	destroyUnroute
	// destroyStop: the group takes no traffic: stop it and mark it destroyed.
	destroyStop
)

// nextDestroyMove decides a destroy step's call from the group as stored.
func nextDestroyMove(sg model.ServerGroup) destroyMove {
	switch sg.Status {
	case model.ServerGroupDestroyed:
		return destroyDone
	case model.ServerGroupUp:
		return destroyUnroute
	}
	return destroyStop
}

// trafficConfirmPoll is how often a deploy looks whether traffic it routed
// has reached the groups it names.
const trafficConfirmPoll = 250 * time.Millisecond

// trafficConfirmTimeout bounds that wait. Endpoints follow a route within
// a second or two; an API server that restarts leaves them stale for tens
// of seconds. Past this the deploy fails with what is stale, rather than
// destroy or shrink what may still take traffic.
const trafficConfirmTimeout = 90 * time.Second

// confirmVerdict is what one look at routed traffic means.
type confirmVerdict int

const (
	// confirmReached: traffic goes where it was routed: go on.
	confirmReached confirmVerdict = iota + 1
	// confirmWait: not yet (or the target could not look): look again.
	confirmWait
	// confirmStale: still not there past trafficConfirmTimeout: fail.
	confirmStale
)

// decideConfirm turns one ConfirmTraffic answer, after waited since the
// route, into a verdict and the words that go with it.
func decideConfirm(reached bool, detail string, err error, waited time.Duration) (confirmVerdict, string) {
	if err == nil && reached {
		return confirmReached, ""
	}
	if err != nil {
		detail = "could not look: " + err.Error()
	}
	if waited >= trafficConfirmTimeout {
		return confirmStale, fmt.Sprintf("traffic did not reach the routed server groups within %s: %s", trafficConfirmTimeout, detail)
	}
	return confirmWait, fmt.Sprintf("waiting for traffic to reach the routed server groups (%s so far): %s", waited.Round(time.Second), detail)
}
