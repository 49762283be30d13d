package storetest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testExecutionLock checks the engine's one serialized apply: transactions
// that take an execution's lock run one after the other, each sees the
// version the one before it left, and a missing execution is ErrNotFound.
func testExecutionLock(t *testing.T, d Driver) {
	t.Run("TransactionsOnOneExecutionSerialize", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		const txs = 12
		var inside, most atomic.Int32
		var mu sync.Mutex
		var seen []int
		var wg sync.WaitGroup
		for range txs {
			wg.Go(func() {
				err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
					prev, err := tx.ExecutionLock(ctx, "exec-1")
					if err != nil {
						return err
					}
					n := inside.Add(1)
					defer inside.Add(-1)
					for {
						m := most.Load()
						if n <= m || most.CompareAndSwap(m, n) {
							break
						}
					}
					time.Sleep(2 * time.Millisecond) // long enough for another to barge in
					exec, err := tx.ExecutionGet(ctx, "exec-1")
					if err != nil {
						return err
					}
					if exec.Version != prev+1 {
						t.Errorf("after locking at version %d the transaction read version %d, want %d", prev, exec.Version, prev+1)
					}
					mu.Lock()
					seen = append(seen, prev)
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Errorf("transaction: %v", err)
				}
			})
		}
		wg.Wait()
		if m := most.Load(); m != 1 {
			t.Errorf("%d transactions held the execution's lock at once, want 1", m)
		}
		slices.Sort(seen)
		for i, v := range seen {
			if v != i {
				t.Fatalf("versions seen before the bump: %v; want 0..%d, each once (two transactions decided on one snapshot)", seen, txs-1)
			}
		}
		exec, err := b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		if exec.Version != txs {
			t.Errorf("version after %d locks = %d", txs, exec.Version)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.ExecutionLock(ctx, "nope")
			return err
		})
		wantErrIs(t, err, store.ErrNotFound)
	})

	// A reader never sees an execution from before a commit with stages
	// from after it: each change bumps the execution's version and a
	// stage's in one transaction, and every read sees them move together.
	t.Run("ReadsAreOneSnapshot", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		first, err := b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		gap := first.Version - first.Stages[0].Version
		done := make(chan struct{})
		var torn atomic.Int32
		var reads sync.WaitGroup
		for range 2 {
			reads.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					got, err := b.store.ExecutionGet(b.ctx, "exec-1")
					if err == nil && got.Version-got.Stages[0].Version != gap {
						torn.Add(1)
					}
					list, err := b.store.ExecutionList(b.ctx, store.ExecutionListParams{Application: "checkout"})
					if err == nil && len(list) == 1 && list[0].Version-list[0].Stages[0].Version != gap {
						torn.Add(1)
					}
				}
			})
		}
		for range 150 {
			err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.ExecutionLock(ctx, "exec-1"); err != nil {
					return err
				}
				st, err := tx.StageGet(ctx, "exec-1", first.Stages[0].Name)
				if err != nil {
					return err
				}
				return tx.StageUpdate(ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{st.Status}})
			})
			must(t, err)
		}
		close(done)
		reads.Wait()
		if n := torn.Load(); n > 0 {
			t.Fatalf("%d reads saw the execution's version and its stage's from different commits", n)
		}
	})
}
