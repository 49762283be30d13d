package storetest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
}
