package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// prepareFunc checks an action against the execution as it is under the
// lock (and records it, e.g. in the audit log, in the same transaction),
// then returns the event to apply.
type prepareFunc func(ctx context.Context, tx store.Tx, exec *model.Execution) (Event, error)

// applyPolicy says how hard apply tries.
type applyPolicy int

const (
	// once: an action a person asked for. A conflict is retried (the
	// snapshot is read again and the action decided again); any other
	// error goes back to the caller, who can ask again.
	once applyPolicy = iota
	// untilStored: a step's result, whose external call was made already.
	// Any failure is retried with backoff until the result is stored or
	// ctx ends, so a database that is locked or failing for a while never
	// loses a result (or makes the call twice).
	untilStored
)

// conflictRetries bounds how often an action (policy once) decides again
// after a conflict. With the execution locked a conflict means a writer
// that does not take the lock; a step's result (untilStored) is retried
// until it is stored or its time to store runs out (storeResultFor).
const conflictRetries = 20

// apply is the one way an execution changes: in one transaction it locks
// the execution, reads it (unless snapshot, when given, is still current),
// asks prepare for the event, computes the event's Effects with the pure
// Transition, and commits them; an action's guard (nil for a step) then
// records it in the audit log, the transaction's last write. It returns
// what was committed, and the execution as it is after the commit.
func (e *Engine) apply(ctx context.Context, execID string, snapshot *model.Execution, policy applyPolicy, guard *Guard, prepare prepareFunc) (Effects, *model.Execution, error) {
	delay := 10 * time.Millisecond
	var failedSince time.Time
	for attempt := 1; ; attempt++ {
		var eff Effects
		var exec *model.Execution
		err := e.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			version, err := tx.ExecutionLock(ctx, execID)
			if err != nil {
				return err
			}
			exec = snapshot
			if exec == nil || exec.Version != version {
				if exec, err = tx.ExecutionGet(ctx, execID); err != nil {
					return err
				}
				exec.Version = version // as before this change's bump
			}
			ev, err := prepare(ctx, tx, exec)
			if err != nil {
				return err
			}
			if eff, err = Transition(exec, ev, e.now()); err != nil {
				return err
			}
			return e.commit(ctx, tx, exec, eff, guard)
		})
		if err == nil {
			if !failedSince.IsZero() {
				e.log.Info("stored a change to an execution after failed attempts", "execution", execID, "attempts", attempt, "after", e.now().Sub(failedSince).Round(time.Millisecond))
			}
			e.afterCommit(exec, eff)
			after := eff.appliedTo(exec)
			after.Version++
			return eff, after, nil
		}
		snapshot = nil // whatever failed, read it again
		retry := policy == untilStored && ctx.Err() == nil && !isFinal(err)
		if errors.Is(err, store.ErrConflict) && attempt < conflictRetries {
			retry = true
		}
		if !retry {
			return Effects{}, nil, err
		}
		if failedSince.IsZero() {
			failedSince = e.now()
			e.log.Warn("could not store a change to an execution; retrying (a stage's call is not made again)", "execution", execID, "err", err)
		}
		select {
		case <-ctx.Done():
			return Effects{}, nil, fmt.Errorf("execution %s: storing a change: %w (gave up: %v)", execID, err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// isFinal reports errors that trying again cannot mend: the execution is
// gone, the request was refused, or a runner's write lost a race (the
// caller decides what the step does instead).
func isFinal(err error) bool {
	var lost *writeLostError
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrFinished) || errors.Is(err, ErrNotWaiting) ||
		errors.Is(err, ErrNotControllable) || errors.Is(err, errAlreadyDone) ||
		errors.As(err, &lost)
}

// writeLostError is a runner's write (stage.Write) that failed with
// store.ErrConflict. It does not unwrap to ErrConflict on purpose: the
// apply must not decide the same result again, the step is made again.
type writeLostError struct{ err error }

func (e *writeLostError) Error() string {
	return "a write of the stage lost a race: " + e.err.Error()
}

// commit writes an event's effects in tx: the execution's end, the guarded
// stage writes, the jobs of the stages due now, then an action's audit
// entry (guard, nil for a step), then the delivery events (events first,
// then eff.Events) and the outbox change. The logs go last because a store
// with concurrent writers (PostgreSQL) serializes each of them under a
// global lock held from the insert to the commit: the audit chain's, which
// only actions take, then the commit order's, which every change takes, so
// the busier lock is held for the fewest writes and neither while waiting
// for a row.
func (e *Engine) commit(ctx context.Context, tx store.Tx, exec *model.Execution, eff Effects, guard *Guard, events ...model.Event) error {
	if eff.Reopen {
		if err := tx.ExecutionReopen(ctx, store.ExecutionReopenParams{
			ID: exec.ID, From: []model.ExecutionStatus{model.ExecutionFailed, model.ExecutionCanceled},
		}); err != nil {
			return err
		}
	}
	if w := eff.Execution; w != nil {
		if err := tx.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{
			ID: exec.ID, From: []model.ExecutionStatus{model.ExecutionRunning}, To: w.To, Reason: w.Reason, EndedAt: &w.EndedAt,
		}); err != nil {
			return err
		}
	}
	if len(eff.Stages) > 0 && !eff.inserted {
		updates := make([]store.StageUpdateParams, len(eff.Stages))
		for i := range eff.Stages {
			st := eff.Stages[i].Stage
			updates[i] = store.StageUpdateParams{Stage: &st, From: []model.StageStatus{eff.Stages[i].From}}
		}
		if err := tx.StageUpdates(ctx, updates); err != nil {
			return err
		}
	}
	if err := stage.ApplyWrites(ctx, tx, eff.Writes); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &writeLostError{err}
		}
		return err
	}
	for _, name := range eff.Nudges {
		if err := e.enqueue(ctx, tx, exec.ID, name); err != nil {
			return err
		}
	}
	if guard != nil {
		if err := guard.record(ctx, tx, exec); err != nil {
			return err
		}
	}
	for _, evs := range [][]model.Event{events, eff.Events} {
		for i := range evs {
			if err := tx.EventInsert(ctx, &evs[i]); err != nil {
				return err
			}
		}
	}
	if eff.Execution == nil && len(eff.Stages) == 0 {
		return nil
	}
	c := eff.change(exec)
	return tx.ChangeInsert(ctx, &c)
}

// afterCommit wakes the workers for the jobs the change enqueued, arms the
// timers of the stages due later, and wakes the feed, which tells live
// views.
func (e *Engine) afterCommit(exec *model.Execution, eff Effects) {
	if exec == nil || eff.Dropped != "" {
		return
	}
	if len(eff.Nudges) > 0 {
		e.queue.Wake()
	}
	for _, w := range eff.Wakes {
		e.wakeLater(exec.ID, w.Stage, w.At)
	}
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// change is the outbox entry of the effects: the execution with its new
// status when it ended, else the stage that changed (when one did) with its
// new status.
func (eff Effects) change(exec *model.Execution) store.Change {
	c := store.Change{ExecutionID: exec.ID, Application: exec.Application, Status: string(exec.Status)}
	switch {
	case eff.Execution != nil:
		c.Status = string(eff.Execution.To)
	case eff.Reopen:
		c.Status = string(model.ExecutionRunning)
	case len(eff.Stages) == 1:
		c.Stage, c.Status = eff.Stages[0].Stage.Name, string(eff.Stages[0].Stage.Status)
	}
	return c
}

// enqueue gives a stage due now a job, in tx.
func (e *Engine) enqueue(ctx context.Context, tx store.Tx, execID, stageName string) error {
	if err := e.queue.InsertTx(ctx, tx, stageArgs{ExecutionID: execID, Stage: stageName}, nil); err != nil {
		return fmt.Errorf("enqueueing stage %s of %s: %w", stageName, execID, err)
	}
	return nil
}

// scanInsertOpts are for the due scan's jobs: at most one waits per stage, however
// often the scan finds the stage due while the queue is busy.
var scanInsertOpts = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
}}}
