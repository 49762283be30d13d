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
func (e *Engine) advance(ctx context.Context, tx store.Tx, execID string) error {
	for range 1000 {
		exec, err := tx.ExecutionGet(ctx, execID)
		if err != nil {
			return err
		}
		d := Decide(exec)
		if len(d.Start) == 0 && len(d.Skip) == 0 && d.Finish == nil {
			return nil
		}
		now := e.now()
		changed := false
		for _, sk := range d.Skip {
			st := findStage(exec, sk.Stage)
			if err := e.endPending(ctx, tx, st, model.StageSkipped, sk.Reason); err != nil {
				return err
			}
			changed = true
		}
		for _, name := range d.Start {
			st := findStage(exec, name)
			spec, _ := findSpec(exec, name)
			run, why, err := evalCondition(spec.If, exec)
			if err != nil {
				if err := e.endPending(ctx, tx, st, model.StageFailed, err.Error()); err != nil {
					return err
				}
				changed = true
				continue
			}
			if !run {
				if err := e.endPending(ctx, tx, st, model.StageSkipped, why); err != nil {
					return err
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
				return err
			}
			if err := e.nudge(ctx, tx, execID, name, now); err != nil {
				return err
			}
		}
		if d.Finish != nil {
			return e.finish(ctx, tx, exec, *d.Finish)
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("execution %s: stage graph did not settle; this is a bug, please report it", execID)
}

func (e *Engine) endPending(ctx context.Context, tx store.Tx, st *model.Stage, status model.StageStatus, reason string) error {
	now := e.now()
	next := *st
	next.Status, next.Reason, next.EndedAt = status, reason, &now
	return tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &next, From: []model.StageStatus{model.StagePending}})
}

func (e *Engine) finish(ctx context.Context, tx store.Tx, exec *model.Execution, f Finish) error {
	now := e.now()
	if err := tx.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{
		ID: exec.ID, From: []model.ExecutionStatus{model.ExecutionRunning}, To: f.Status, Reason: f.Reason, EndedAt: &now,
	}); err != nil {
		return err
	}
	ev := model.Event{Kind: model.EventExecutionFinished, Detail: string(f.Status)}
	if f.Reason != "" {
		ev.Detail += ": " + f.Reason
	}
	fillEvent(&ev, exec, "", now)
	_, err := tx.EventInsert(ctx, &ev)
	return err
}
