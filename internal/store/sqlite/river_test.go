package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

type advanceArgs struct {
	ExecutionID string `json:"executionId"`
}

func (advanceArgs) Kind() string { return "advance" }

// TestRiverInsertInTx checks the design the engine relies on: River shares
// the writer pool and enqueues a job inside our transaction, committed or
// rolled back with the state change, without deadlocking on the one writer.
func TestRiverInsertInTx(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := t.Context()
	client, err := river.NewClient(riversqlite.New(s.DB()), &river.Config{SkipUnknownJobCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	enqueue := func(fail bool) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.EventInsert(ctx, &model.Event{Kind: model.EventExecutionStarted}); err != nil {
				return err
			}
			if _, err := client.InsertTx(ctx, tx.SQL(), advanceArgs{ExecutionID: "exec-1"}, nil); err != nil {
				return err
			}
			if fail {
				return errors.New("boom")
			}
			return nil
		})
	}
	if err := enqueue(false); err != nil {
		t.Fatalf("insert job in our transaction: %v", err)
	}
	if err := enqueue(true); err == nil {
		t.Fatal("failing transaction returned nil")
	}
	var jobs int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 {
		t.Fatalf("river_job holds %d jobs, want 1 (the rolled back one must be gone)", jobs)
	}
}
