package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// TestDeadlockIsRetried locks two executions in opposite orders from two
// transactions that wait for each other in between: PostgreSQL aborts one
// with a deadlock, and InTx runs it again, so both succeed.
func TestDeadlockIsRetried(t *testing.T) {
	t.Parallel()
	s := openFresh(t)
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		exec := &model.Execution{ID: id, Pipeline: "p", Application: "app", Status: model.ExecutionRunning}
		if err := s.ExecutionInsert(ctx, exec); err != nil {
			t.Fatal(err)
		}
	}
	var runs atomic.Int32
	var both sync.WaitGroup // the first attempts meet after their first lock
	both.Add(2)
	var once [2]sync.Once
	lockBoth := func(i int, first, second string) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			runs.Add(1)
			if _, err := tx.ExecutionLock(ctx, first); err != nil {
				return err
			}
			once[i].Do(func() { both.Done(); both.Wait() })
			_, err := tx.ExecutionLock(ctx, second)
			return err
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = lockBoth(0, "a", "b") })
	wg.Go(func() { errs[1] = lockBoth(1, "b", "a") })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v (a deadlock must be retried)", i, err)
		}
	}
	if n := runs.Load(); n < 3 {
		t.Errorf("the transactions ran %d times; a deadlock needs at least one run again", n)
	}
	for _, id := range []string{"a", "b"} {
		exec, err := s.ExecutionGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if exec.Version != 2 {
			t.Errorf("execution %s at version %d after two locks, want 2", id, exec.Version)
		}
	}
}
