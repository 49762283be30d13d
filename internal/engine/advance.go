package engine

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// advance applies Decide to the execution as stored in tx: it starts the
// stages that are ready (enqueueing their jobs), skips those that cannot run
// or whose condition is false, and finishes the execution when nothing is
// left. It loops because a skipped stage can make others ready.
//
// snapshot, when not nil, is a copy of the execution known to be current in
// this transaction (the caller just inserted it, or just moved its only
// active stage); it saves re-reading the execution on the hot path. A stale
// snapshot cannot do harm: every write below is guarded by the stage's
// version, so it fails with ErrConflict and the transaction rolls back.
func (e *Engine) advance(ctx context.Context, tx store.Tx, execID string, snapshot *model.Execution) (*model.Execution, error) {
	exec, _, err := e.advanceKeep(ctx, tx, execID, snapshot, false)
	return exec, err
}

// advanceInline advances after st finished and, on a single node, keeps one
// newly started stage for the calling job to run next instead of enqueueing it.
func (e *Engine) advanceInline(ctx context.Context, tx store.Tx, exec *model.Execution, st *model.Stage) (string, error) {
	_, kept, err := e.advanceKeep(ctx, tx, exec.ID, soleActiveSnapshot(exec, st), e.cfg.SingleNode)
	return kept, err
}

// advanceKeep is advance; with keepOne it does not enqueue the first stage it
// starts and returns its name instead.
func (e *Engine) advanceKeep(ctx context.Context, tx store.Tx, execID string, snapshot *model.Execution, keepOne bool) (*model.Execution, string, error) {
	kept := ""
	for range 1000 {
		exec := snapshot
		snapshot = nil
		if exec == nil {
			var err error
			if exec, err = tx.ExecutionGet(ctx, execID); err != nil {
				return nil, "", err
			}
		}
		d := Decide(exec)
		if len(d.Start) == 0 && len(d.Skip) == 0 && d.Finish == nil {
			return exec, kept, nil
		}
		now := e.now()
		changed := false
		for _, sk := range d.Skip {
			st := findStage(exec, sk.Stage)
			if err := e.endPending(ctx, tx, st, model.StageSkipped, sk.Reason); err != nil {
				return nil, "", err
			}
			changed = true
		}
		for _, name := range d.Start {
			st := findStage(exec, name)
			spec, _ := findSpec(exec, name)
			run, why, err := evalCondition(spec.If, exec)
			if err != nil {
				if err := e.endPending(ctx, tx, st, model.StageFailed, err.Error()); err != nil {
					return nil, "", err
				}
				changed = true
				continue
			}
			if !run {
				if err := e.endPending(ctx, tx, st, model.StageSkipped, why); err != nil {
					return nil, "", err
				}
				changed = true
				continue
			}
			next := *st
			next.Status, next.Attempt, next.StartedAt = model.StageRunning, 1, &now
			if t := spec.Timeout.D(); t > 0 {
				deadline := now.Add(t)
				next.Deadline = &deadline
			}
			if err := tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &next, From: []model.StageStatus{model.StagePending}}); err != nil {
				return nil, "", err
			}
			*st = next
			if keepOne && kept == "" {
				kept = name
				continue
			}
			if err := e.nudge(ctx, tx, execID, name, now); err != nil {
				return nil, "", err
			}
		}
		if d.Finish != nil {
			return exec, kept, e.finish(ctx, tx, exec, *d.Finish)
		}
		if !changed {
			return exec, kept, nil
		}
	}
	return nil, "", fmt.Errorf("execution %s: stage graph did not settle; this is a bug, please report it", execID)
}

func (e *Engine) endPending(ctx context.Context, tx store.Tx, st *model.Stage, status model.StageStatus, reason string) error {
	now := e.now()
	next := *st
	next.Status, next.Reason, next.EndedAt = status, reason, &now
	if err := tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &next, From: []model.StageStatus{model.StagePending}}); err != nil {
		return err
	}
	*st = next
	return nil
}

func (e *Engine) finish(ctx context.Context, tx store.Tx, exec *model.Execution, f Finish) error {
	now := e.now()
	if err := tx.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{
		ID: exec.ID, From: []model.ExecutionStatus{model.ExecutionRunning}, To: f.Status, Reason: f.Reason, EndedAt: &now,
	}); err != nil {
		return err
	}
	exec.Status, exec.Reason, exec.EndedAt = f.Status, f.Reason, &now
	ev := model.Event{Kind: model.EventExecutionFinished, Detail: string(f.Status)}
	if f.Reason != "" {
		ev.Detail += ": " + f.Reason
	}
	fillEvent(&ev, exec, "", now)
	_, err := tx.EventInsert(ctx, &ev)
	return err
}
