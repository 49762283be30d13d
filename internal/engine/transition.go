package engine

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// Effects are everything one event changes, computed by Transition and
// committed together by the engine.
type Effects struct {
	// Stages are guarded stage writes, in pipeline order.
	Stages []StageWrite
	// Execution, when set, ends the execution.
	Execution *ExecutionWrite
	// Events are appended to the delivery log.
	Events []model.Event
	// Writes are the runner's own store changes (a deploy's server groups
	// and analysis records), committed with its result.
	Writes []stage.Write
	// Nudges are stages due at once that get a job.
	Nudges []string
	// Inline is the stage claimed for StepDone.NextClaim (or
	// Started.Claim): the worker that made the step (or the server that
	// started the execution) carries on with it, and it gets no job.
	Inline string
	// Wakes are stages due later. Their stored WakeAt is the guarantee (the
	// due scan finds them); an in-process timer wakes them on the dot.
	Wakes []Wake
	// Dropped, when set, says why the event changed nothing.
	Dropped string
	// Reopen makes an ended (failed or canceled) execution running again,
	// before anything else is written: a retry.
	Reopen bool
	// inserted says the stage writes are in the execution's insert (a
	// start): commit does not write them again.
	inserted bool
}

// StageWrite is a stage's new record, written only while the stored stage
// still has status From and the version the snapshot had.
type StageWrite struct {
	Stage model.Stage
	From  model.StageStatus
}

// ExecutionWrite ends a running execution.
type ExecutionWrite struct {
	To      model.ExecutionStatus
	Reason  string
	EndedAt time.Time
}

// Wake is a stage due at a later time.
type Wake struct {
	Stage string
	At    time.Time
}

// appliedTo returns a copy of exec as it is once the effects are committed.
func (eff Effects) appliedTo(exec *model.Execution) *model.Execution {
	c := withStageWrites(exec, eff)
	if eff.Reopen {
		c.Status, c.Reason, c.EndedAt = model.ExecutionRunning, "", nil
	}
	if w := eff.Execution; w != nil {
		c.Status, c.Reason, c.EndedAt = w.To, w.Reason, &w.EndedAt
	}
	return c
}

// withStageWrites is a copy of exec with eff's stage writes applied,
// versions bumped as stored (a start inserts its stages this way).
func withStageWrites(exec *model.Execution, eff Effects) *model.Execution {
	c := cloneExecution(exec)
	for _, w := range eff.Stages {
		st := findStage(c, w.Stage.Name)
		*st = w.Stage
		st.Version++
	}
	return c
}

// Transition says what an event does to an execution. It is pure: a
// snapshot (read under the execution's lock), the event and the time in,
// the effects out; the snapshot is not changed.
func Transition(snapshot *model.Execution, ev Event, now time.Time) (Effects, error) {
	t := &transition{orig: snapshot, exec: cloneExecution(snapshot), now: now, dirty: map[string]bool{}}
	var err error
	switch ev := ev.(type) {
	case Started:
		err = t.advance(ev.Claim, ev.ClaimUntil)
	case StepDone:
		err = t.stepDone(ev)
	case Judged:
		err = t.judged(ev)
	case Canceled:
		t.canceled(ev)
	case Controlled:
		err = t.controlled(ev)
	case Retried:
		err = t.retried(ev)
	default:
		err = fmt.Errorf("engine: unknown event %T (a gennaker bug, please report it)", ev)
	}
	if err != nil {
		return Effects{}, err
	}
	return t.effects(), nil
}

// transition is one Transition in progress: the snapshot, the copy it
// changes, and what it has decided so far.
type transition struct {
	orig, exec *model.Execution
	now        time.Time
	dirty      map[string]bool
	eff        Effects
}

func (t *transition) effects() Effects {
	for i, st := range t.exec.Stages {
		if t.dirty[st.Name] {
			t.eff.Stages = append(t.eff.Stages, StageWrite{Stage: st, From: t.orig.Stages[i].Status})
		}
	}
	return t.eff
}

func (t *transition) stage(name string) *model.Stage { return findStage(t.exec, name) }

func (t *transition) event(ev model.Event, stageName string) {
	fillEvent(&ev, t.exec, stageName, t.now)
	t.eff.Events = append(t.eff.Events, ev)
}

// due schedules an active stage for its WakeAt: at once (the claim for
// inline continuation, when offered and not yet used, else a job), or
// later (a timer).
func (t *transition) due(st *model.Stage, claim string, until time.Time) {
	switch {
	case st.WakeAt == nil:
	case st.WakeAt.After(t.now):
		t.eff.Wakes = append(t.eff.Wakes, Wake{Stage: st.Name, At: *st.WakeAt})
	case claim != "" && t.eff.Inline == "" && st.Status == model.StageRunning:
		st.ClaimedBy, st.ClaimUntil = claim, &until
		t.eff.Inline = st.Name
	default:
		st.QueuedAt = &t.now
		t.eff.Nudges = append(t.eff.Nudges, st.Name)
	}
}

// stepDone records a step's result on the stage that the step held.
func (t *transition) stepDone(ev StepDone) error {
	st := t.stage(ev.Stage)
	if st == nil || st.ClaimedBy != ev.Claim {
		t.eff.Dropped = fmt.Sprintf("stage %s is no longer held by claim %s: its result was recorded already", ev.Stage, ev.Claim)
		// A retry after a commit whose answer was lost: carry on with what
		// that commit claimed for the worker.
		for _, other := range t.exec.Stages {
			if ev.NextClaim != "" && other.ClaimedBy == ev.NextClaim {
				t.eff.Inline = other.Name
			}
		}
		return nil
	}
	spec, ok := findSpec(t.exec, st.Name)
	res := ev.Result
	if !ok {
		res = stage.Result{Outcome: stage.Failed, Reason: "the execution's pipeline snapshot has no stage " + st.Name}
	}
	touched := st.Version != ev.Version
	wasWaiting := st.Status == model.StageWaiting
	t.dirty[st.Name] = true
	if res.State != nil {
		st.State = res.State
	}
	if res.Output != nil {
		st.Output = res.Output
	}
	if res.ClearJudgment && st.Judgment.IsAnswer() {
		// A pause's answer is used up; a promote or abort recorded during
		// the step is not the runner's to clear.
		st.Judgment = nil
	}
	var wakeAt time.Time
	applyOutcome(st, spec, res, t.now, t.exec.Status.Terminal(), &wakeAt)
	st.ClaimedBy, st.ClaimUntil = "", nil
	st.WakeAt = nil
	if !st.Status.Terminal() {
		// A wait never outlasts the stage's deadline: it wakes then, to time
		// out. Past the deadline the stage is undoing itself, and keeps the
		// waits it asks for (polls, backoffs).
		if st.Deadline != nil && st.Deadline.After(t.now) && (wakeAt.IsZero() || st.Deadline.Before(wakeAt)) {
			wakeAt = *st.Deadline
		}
		if touched {
			wakeAt = t.now // someone wrote the stage during the step: look again
		}
		if !wakeAt.IsZero() {
			st.WakeAt = &wakeAt
		}
	}
	for _, e := range res.Events {
		t.event(e, st.Name)
	}
	if st.Status == model.StageWaiting && !wasWaiting {
		t.event(waitingEvent(res), st.Name)
	}
	t.eff.Writes = res.Writes
	if st.Status.Terminal() {
		return t.advance(ev.NextClaim, ev.ClaimUntil)
	}
	t.due(st, ev.NextClaim, ev.ClaimUntil)
	return nil
}

// judged stores a person's answer and wakes the stage to act on it.
func (t *transition) judged(ev Judged) error {
	st := t.stage(ev.Stage)
	if st == nil || st.Status != model.StageWaiting {
		return fmt.Errorf("%w: stage %q of execution %s is not waiting", ErrNotWaiting, ev.Stage, t.exec.ID)
	}
	if st.Deadline != nil && !st.Deadline.After(t.now) {
		return fmt.Errorf("%w: stage %q of execution %s timed out at %s and is ending", ErrNotWaiting, ev.Stage, t.exec.ID, st.Deadline.Format(time.RFC3339))
	}
	j := ev.Judgment
	st.Judgment, st.Status, st.WakeAt = &j, model.StageRunning, &t.now
	t.dirty[st.Name] = true
	t.event(model.Event{Kind: model.EventManualStep, Action: j.Decision, Actor: j.Actor, Detail: j.Comment}, st.Name)
	t.due(st, "", time.Time{})
	return nil
}

// canceled ends the execution: stages not started are canceled, and stages
// in progress are woken to clean up (a deploy restores traffic) and end
// canceled.
func (t *transition) canceled(ev Canceled) {
	reason := "canceled by " + orSomeone(ev.Actor)
	if ev.Reason != "" {
		reason += ": " + ev.Reason
	}
	t.eff.Execution = &ExecutionWrite{To: model.ExecutionCanceled, Reason: reason, EndedAt: t.now}
	for i := range t.exec.Stages {
		st := &t.exec.Stages[i]
		switch st.Status {
		case model.StagePending:
			st.Status, st.Reason, st.EndedAt = model.StageCanceled, reason, &t.now
		case model.StageWaiting, model.StageRunning:
			st.Status, st.WakeAt = model.StageRunning, &t.now
			t.due(st, "", time.Time{})
		default:
			continue
		}
		t.dirty[st.Name] = true
	}
	t.event(model.Event{Kind: model.EventManualStep, Action: "cancel", Actor: ev.Actor, Detail: ev.Reason}, "")
	t.event(model.Event{Kind: model.EventExecutionFinished, Detail: "canceled: " + reason}, "")
	t.exec.Status = model.ExecutionCanceled
}

// waitingEvent is the judgment_waiting event of a stage that began to wait
// for a person with result res: what it waits for, and until when.
func waitingEvent(res stage.Result) model.Event {
	detail := res.Reason
	if detail == "" {
		detail = "waiting for a person to approve or reject"
	}
	if !res.At.IsZero() {
		detail += " (until " + res.At.UTC().Format(time.RFC3339) + ")"
	}
	return model.Event{Kind: model.EventJudgmentWaiting, Detail: detail}
}
