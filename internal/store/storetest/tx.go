package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testTx(t *testing.T, d Driver) {
	t.Run("RollbackOnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		errBoom := errors.New("boom")

		err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.ConfigApply(ctx, model.Config{Applications: []model.Application{testApp("checkout")}})
			must(t, err)
			must(t, tx.ExecutionInsert(ctx, newExecution("exec-1", "checkout", "ship", t0)))
			err = tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventExecutionStarted, ExecutionID: "exec-1"})
			must(t, err)
			must(t, tx.ServerGroupInsert(ctx, newServerGroup("checkout", "prod", 1, model.ServerGroupUp)))
			// The transaction sees its own writes.
			if _, err := tx.ExecutionGet(ctx, "exec-1"); err != nil {
				t.Errorf("ExecutionGet inside the transaction that inserted it: %v", err)
			}
			return errBoom
		})
		wantErrIs(t, err, errBoom)

		_, err = b.store.ApplicationGet(b.ctx, "checkout")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.ExecutionGet(b.ctx, "exec-1")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.StageGet(b.ctx, "exec-1", "zeta")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = b.store.ServerGroupGet(b.ctx, "prod", model.ServerGroupName("checkout", 1))
		wantErrIs(t, err, store.ErrNotFound)
		events, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(events) != 0 {
			t.Fatalf("rolled back transaction left events: %+v", events)
		}
	})

	t.Run("CommitVisibleOutside", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.ExecutionInsert(ctx, newExecution("exec-1", "checkout", "ship", t0)); err != nil {
				return err
			}
			st, err := tx.StageGet(ctx, "exec-1", "alpha")
			if err != nil {
				return err
			}
			st.Status = model.StageRunning
			if err := tx.StageUpdate(ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StagePending}}); err != nil {
				return err
			}
			err = tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventExecutionStarted, ExecutionID: "exec-1"})
			return err
		}))

		st, err := b.store.StageGet(b.ctx, "exec-1", "alpha")
		must(t, err)
		if st.Status != model.StageRunning {
			t.Fatalf("committed stage status = %s, want running", st.Status)
		}
		events, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(events) != 1 {
			t.Fatalf("committed transaction: %d events visible, want 1", len(events))
		}
	})

	t.Run("ConflictRollsBackEarlierWrites", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventExecutionFinished}); err != nil {
				return err
			}
			return tx.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{
				ID: "exec-1", From: []model.ExecutionStatus{model.ExecutionCanceled}, To: model.ExecutionSucceeded,
			})
		})
		wantErrIs(t, err, store.ErrConflict)
		events, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(events) != 0 {
			t.Fatalf("event of a failed transaction was kept: %+v", events)
		}
	})
}
