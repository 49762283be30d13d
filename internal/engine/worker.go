package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// stageArgs is the durable job "look at this stage now". Jobs are nudges:
// a stage may get a stale or duplicate one, and the worker then finds
// nothing to do, so they need no uniqueness.
type stageArgs struct {
	ExecutionID string `json:"execution_id"`
	Stage       string `json:"stage"`
	// At is the wake time (Unix ns) of a scheduled nudge; it makes scheduled
	// nudges unique per wake time. Zero for nudges due at once.
	At int64 `json:"at,omitempty"`
	// Version is the stage's version when a wake-up was asked for. Each
	// wake-up has two nudges (the durable scheduled job and an in-process
	// timer); the first to run moves the stage on, and the other, finding
	// a newer version, does nothing, instead of stepping the stage again
	// and doubling a polling stage's wake-ups every round. Zero: always run.
	Version int `json:"version,omitempty"`
}

func (stageArgs) Kind() string { return "gennaker_stage" }

type stageWorker struct {
	river.WorkerDefaults[stageArgs]
	engine *Engine
}

// maxInline bounds how many steps one job runs back to back before it hands
// the rest to a new job (fairness between executions).
const maxInline = 64

// Work runs steps of a stage and stores their results. On a single node it
// carries on in the same job with the next step that is due at once (the
// next step of a deploy, or the one stage that the finished stage started),
// saving a round trip through the queue per step; a crash in such a chain is
// covered by the start-up sweep (see Start), which nudges every running stage.
func (w *stageWorker) Work(ctx context.Context, job *river.Job[stageArgs]) error {
	e := w.engine
	target := job.Args
	target.At = 0
	for range maxInline {
		next, err := e.step(ctx, target)
		if err != nil || next == "" {
			return err
		}
		target.Stage, target.Version = next, 0
	}
	// Hand the rest of the chain to a fresh job.
	return e.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return e.nudge(ctx, tx, target.ExecutionID, target.Stage, e.now())
	})
}

// step runs one step of a stage and records it. It returns the stage to run
// next in the same job, if any (only when inline continuation is on).
func (e *Engine) step(ctx context.Context, target stageArgs) (string, error) {
	exec, err := e.store.ExecutionGet(ctx, target.ExecutionID)
	if errors.Is(err, store.ErrNotFound) {
		e.log.Warn("job for an execution that does not exist; dropping it", "execution", target.ExecutionID)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	st := findStage(exec, target.Stage)
	if st == nil || (st.Status != model.StageRunning && st.Status != model.StageWaiting) {
		return "", nil // stale nudge: the stage already moved on
	}
	if target.Version != 0 && st.Version != target.Version {
		return "", nil // the other nudge of this wake-up already ran the stage
	}
	spec, ok := findSpec(exec, st.Name)
	if !ok {
		return e.record(ctx, exec, st, spec, stage.Result{Outcome: stage.Failed, Reason: "the execution's pipeline snapshot has no stage " + st.Name})
	}
	runner := e.runners[st.Type]
	if runner == nil {
		return e.record(ctx, exec, st, spec, stage.Result{Outcome: stage.Failed, Reason: fmt.Sprintf("this server cannot run stages of type %q: upgrade gennaker or change the pipeline", st.Type)})
	}
	now := e.now()
	in := stage.Input{Execution: exec, Stage: st, Spec: spec, Now: now, Canceled: exec.Status.Terminal()}
	timedOut := st.Deadline != nil && !now.Before(*st.Deadline)
	if timedOut {
		in.Canceled = true
	}
	runCtx := ctx
	if st.Deadline != nil && !timedOut {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadline(ctx, *st.Deadline)
		defer cancel()
	}
	res := runSafely(runCtx, runner, in)
	if timedOut && (res.Outcome == stage.Failed || res.Outcome == stage.Succeeded) {
		reason := fmt.Sprintf("timed out after %s (stage timeout)", spec.Timeout)
		if res.Outcome == stage.Failed && res.Reason != "" && res.Reason != "canceled" {
			reason += ": " + res.Reason // what the stage was waiting on, in its words
		}
		res = stage.Result{Outcome: stage.Failed, Reason: reason, State: res.State, Output: res.Output, Events: res.Events}
	}
	return e.record(ctx, exec, st, spec, res)
}

// record stores a runner's result: the guarded stage write, its events and
// the jobs that carry the execution on, in one transaction. It returns the
// stage to run next in the same job, when one is due at once and inline
// continuation is on; no job is enqueued for that one.
func (e *Engine) record(ctx context.Context, exec *model.Execution, st *model.Stage, spec model.StageSpec, res stage.Result) (string, error) {
	now := e.now()
	next := *st
	from := []model.StageStatus{st.Status}
	if res.State != nil {
		next.State = res.State
	}
	if res.Output != nil {
		next.Output = res.Output
	}
	if res.ClearJudgment {
		next.Judgment = nil
	}
	var wakeAt time.Time
	applyOutcome(&next, spec, res, now, exec.Status.Terminal(), &wakeAt)
	if !wakeAt.IsZero() && next.Deadline != nil && next.Deadline.Before(wakeAt) {
		wakeAt = *next.Deadline
	}
	var inline string
	lostRace := false // a write of the runner's failed with ErrConflict
	err := e.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		inline = ""
		if err := tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &next, From: from}); err != nil {
			return err
		}
		for i := range res.Events {
			ev := res.Events[i]
			fillEvent(&ev, exec, st.Name, now)
			if _, err := tx.EventInsert(ctx, &ev); err != nil {
				return err
			}
		}
		if err := stage.ApplyWrites(ctx, tx, res.Writes); err != nil {
			lostRace = errors.Is(err, store.ErrConflict)
			return err
		}
		if !wakeAt.IsZero() {
			if e.cfg.SingleNode && !wakeAt.After(now) && next.Status == model.StageRunning {
				inline = st.Name // due now: carry on in this job
				return nil
			}
			if err := e.nudgeVersion(ctx, tx, exec.ID, st.Name, wakeAt, next.Version); err != nil {
				return err
			}
		}
		if next.Status.Terminal() {
			var err error
			inline, err = e.advanceInline(ctx, tx, exec, &next)
			return err
		}
		return nil
	})
	if lostRace {
		// A write of the runner lost a race (a name taken, a guarded status
		// moved): run the step again at once with the state unchanged.
		e.log.Debug("a write of the stage lost a race; running the step again", "execution", exec.ID, "stage", st.Name, "err", err)
		return e.record(ctx, exec, st, spec, stage.Result{Outcome: stage.Continue})
	}
	if errors.Is(err, store.ErrConflict) {
		// Someone else moved the stage on (a cancel, an approval, a duplicate
		// nudge); they enqueued whatever comes next.
		e.log.Debug("stage changed under the worker; leaving it to the newer write", "execution", exec.ID, "stage", st.Name)
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("execution %s stage %s: storing the result: %w", exec.ID, st.Name, err)
	}
	if !wakeAt.IsZero() && wakeAt.After(now) {
		e.wakeLater(stageArgs{ExecutionID: exec.ID, Stage: st.Name, At: wakeAt.UnixNano(), Version: next.Version}, wakeAt)
	}
	e.bus.Publish(Update{ExecutionID: exec.ID, Application: exec.Application, Stage: st.Name, Status: string(next.Status)})
	return inline, nil
}

// applyOutcome turns a runner's result into the stage's next record. It is
// pure: the stage, the spec and the result in, the new stage out.
func applyOutcome(next *model.Stage, spec model.StageSpec, res stage.Result, now time.Time, stopping bool, wakeAt *time.Time) {
	end := func(status model.StageStatus, reason string) {
		next.Status, next.Reason, next.EndedAt = status, reason, &now
	}
	switch res.Outcome {
	case stage.Succeeded:
		end(model.StageSucceeded, res.Reason)
	case stage.Failed:
		switch {
		case stopping:
			end(model.StageCanceled, "canceled: "+res.Reason)
		case spec.EffectiveOnFailure() == model.OnFailureContinue:
			end(model.StageFailedContinue, res.Reason)
		default:
			end(model.StageFailed, res.Reason)
		}
	case stage.Continue:
		next.Status = model.StageRunning
		*wakeAt = res.At
		if wakeAt.Before(now) {
			*wakeAt = now
		}
	case stage.WaitForPerson:
		next.Status = model.StageWaiting
		*wakeAt = res.At
	case stage.Transient:
		if next.Attempt <= spec.Retries {
			delay := Backoff(next.Attempt)
			next.Reason = fmt.Sprintf("attempt %d failed: %s; retrying in %s", next.Attempt, res.Reason, delay)
			next.Attempt++
			next.Status = model.StageRunning
			*wakeAt = now.Add(delay)
		} else {
			reason := res.Reason
			if next.Attempt > 1 {
				reason = fmt.Sprintf("failed after %d attempts: %s", next.Attempt, res.Reason)
			}
			failed := stage.Result{Outcome: stage.Failed, Reason: reason}
			applyOutcome(next, spec, failed, now, stopping, wakeAt)
		}
	default:
		end(model.StageFailed, fmt.Sprintf("internal error: stage runner returned no outcome (%d)", res.Outcome))
	}
}

// Backoff is the delay before retry attempt n+1: 1s, 2s, 4s ... capped at 1m.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Second << min(attempt-1, 6)
	return min(d, time.Minute)
}

func (e *Engine) nudge(ctx context.Context, tx store.Tx, execID, stageName string, at time.Time) error {
	return e.nudgeVersion(ctx, tx, execID, stageName, at, 0)
}

// nudgeVersion enqueues a stage job that runs only while the stage is still
// at version (0: whatever its version).
func (e *Engine) nudgeVersion(ctx context.Context, tx store.Tx, execID, stageName string, at time.Time, version int) error {
	args, opts := stageArgs{ExecutionID: execID, Stage: stageName, Version: version}, &river.InsertOpts{}
	if at.After(e.now()) {
		args.At = at.UnixNano()
		opts = scheduledOpts(at)
	}
	if _, err := e.river.InsertTx(ctx, tx.SQL(), args, opts); err != nil {
		return fmt.Errorf("enqueueing stage %s of %s: %w", stageName, execID, err)
	}
	return nil
}

func fillEvent(ev *model.Event, exec *model.Execution, stageName string, now time.Time) {
	if ev.Time.IsZero() {
		ev.Time = now
	}
	if ev.Application == "" {
		ev.Application = exec.Application
	}
	if ev.ExecutionID == "" {
		ev.ExecutionID = exec.ID
	}
	if ev.Stage == "" {
		ev.Stage = stageName
	}
	if ev.Trigger == "" {
		ev.Trigger = exec.Trigger.Kind
	}
	if ev.Actor == "" {
		ev.Actor = exec.Trigger.Actor
	}
	if ev.CommitSHA == "" {
		ev.CommitSHA = exec.Trigger.CommitSHA
		ev.CommitTime = exec.Trigger.CommitTime
	}
}

func findStage(exec *model.Execution, name string) *model.Stage {
	for i := range exec.Stages {
		if exec.Stages[i].Name == name {
			return &exec.Stages[i]
		}
	}
	return nil
}

func findSpec(exec *model.Execution, name string) (model.StageSpec, bool) {
	for _, s := range exec.Spec.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return model.StageSpec{}, false
}

// runSafely runs a stage runner and turns a panic into a failed stage with
// the panic as its reason, so one bug cannot wedge an execution.
func runSafely(ctx context.Context, r stage.Runner, in stage.Input) (res stage.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = stage.Result{Outcome: stage.Failed, Reason: fmt.Sprintf("internal error in the %s stage (a gennaker bug, please report it): %v", in.Stage.Type, p)}
		}
	}()
	return r.Run(ctx, in)
}

// soleActiveSnapshot returns the execution with st replaced when st was its
// only active stage (so no other worker can have changed it since it was
// read), or nil when it must be read again inside the transaction.
func soleActiveSnapshot(exec *model.Execution, st *model.Stage) *model.Execution {
	for _, other := range exec.Stages {
		if other.Name != st.Name && (other.Status == model.StageRunning || other.Status == model.StageWaiting) {
			return nil
		}
	}
	c := cloneExecution(exec)
	for i := range c.Stages {
		if c.Stages[i].Name == st.Name {
			c.Stages[i] = *st
		}
	}
	return c
}
