package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testTransition(t *testing.T, d Driver) {
	t.Run("ExecutionSetStatus", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		ended := t0.Add(time.Hour)

		must(t, b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{
			ID: "exec-1", From: []model.ExecutionStatus{model.ExecutionRunning},
			To: model.ExecutionFailed, Reason: "stage deploy failed", EndedAt: &ended,
		}))
		got, err := b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		if got.Status != model.ExecutionFailed || got.Reason != "stage deploy failed" || got.EndedAt == nil || !got.EndedAt.Equal(ended) {
			t.Fatalf("after set status: status=%s reason=%q endedAt=%v", got.Status, got.Reason, got.EndedAt)
		}

		// A second worker that still thinks it is running must lose.
		err = b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{
			ID: "exec-1", From: []model.ExecutionStatus{model.ExecutionRunning}, To: model.ExecutionSucceeded,
		})
		wantErrIs(t, err, store.ErrConflict)
		got, err = b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		if got.Status != model.ExecutionFailed {
			t.Fatalf("a rejected transition changed the status to %s", got.Status)
		}
	})

	t.Run("StageUpdate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))

		st, err := b.store.StageGet(b.ctx, "exec-1", "alpha")
		must(t, err)
		v0 := st.Version
		st.Status = model.StageWaiting
		st.StartedAt = ptr(t0.Add(time.Minute))
		st.Deadline = ptr(t0.Add(time.Hour))
		st.Attempt = 1
		st.State = []byte(`{"asked":true}`)
		must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StagePending}}))
		if st.Version != v0+1 {
			t.Fatalf("StageUpdate left Version at %d in place, want %d", st.Version, v0+1)
		}
		got, err := b.store.StageGet(b.ctx, "exec-1", "alpha")
		must(t, err)
		if got.Status != model.StageWaiting || got.Version != v0+1 || string(got.State) != `{"asked":true}` ||
			got.Attempt != 1 || !got.StartedAt.Equal(*st.StartedAt) || !got.Deadline.Equal(*st.Deadline) {
			t.Fatalf("after StageUpdate got %+v", *got)
		}

		t.Run("WrongStatus", func(t *testing.T) {
			stale := *got
			stale.Status = model.StageSucceeded
			err := b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: &stale, From: []model.StageStatus{model.StageRunning}})
			wantErrIs(t, err, store.ErrConflict)
			if stale.Version != got.Version {
				t.Fatalf("a rejected StageUpdate changed Version in place to %d", stale.Version)
			}
		})
		t.Run("StaleVersion", func(t *testing.T) {
			stale := *got
			stale.Version--
			stale.Status = model.StageSucceeded
			err := b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: &stale, From: []model.StageStatus{model.StageWaiting}})
			wantErrIs(t, err, store.ErrConflict)
		})
		t.Run("Unchanged", func(t *testing.T) {
			again, err := b.store.StageGet(b.ctx, "exec-1", "alpha")
			must(t, err)
			if again.Status != model.StageWaiting || again.Version != got.Version {
				t.Fatalf("rejected updates changed the stage: %+v", *again)
			}
		})
	})

	t.Run("StageUpdates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		read := func(name string) *model.Stage {
			st, err := b.store.StageGet(b.ctx, "exec-1", name)
			must(t, err)
			return st
		}
		// A step: one stage ends and the next starts, in one call.
		zeta, alpha := read("zeta"), read("alpha")
		v0, v1 := zeta.Version, alpha.Version
		zeta.Status, zeta.EndedAt = model.StageSucceeded, ptr(t0.Add(time.Minute))
		alpha.Status, alpha.StartedAt = model.StageRunning, ptr(t0.Add(time.Minute))
		must(t, b.store.StageUpdates(b.ctx, []store.StageUpdateParams{
			{Stage: zeta, From: []model.StageStatus{model.StageRunning}},
			{Stage: alpha, From: []model.StageStatus{model.StagePending}},
		}))
		if zeta.Version != v0+1 || alpha.Version != v1+1 {
			t.Fatalf("versions in place after StageUpdates: %d, %d; want %d, %d", zeta.Version, alpha.Version, v0+1, v1+1)
		}
		if got := read("zeta"); got.Status != model.StageSucceeded || got.Version != v0+1 {
			t.Fatalf("zeta after StageUpdates: %s v%d", got.Status, got.Version)
		}
		if got := read("alpha"); got.Status != model.StageRunning || got.Version != v1+1 {
			t.Fatalf("alpha after StageUpdates: %s v%d", got.Status, got.Version)
		}

		// The second write is stale: neither is stored, in or out of a
		// transaction, and the error names the stage that did not match.
		for _, inTx := range []bool{false, true} {
			mid, stale := read("mid"), read("alpha")
			stale.Version--
			mid.Status, stale.Status = model.StageRunning, model.StageSucceeded
			updates := []store.StageUpdateParams{
				{Stage: mid, From: []model.StageStatus{model.StagePending}},
				{Stage: stale, From: []model.StageStatus{model.StageRunning}},
			}
			var err error
			if inTx {
				err = b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error { return tx.StageUpdates(ctx, updates) })
			} else {
				err = b.store.StageUpdates(b.ctx, updates)
			}
			wantErrIs(t, err, store.ErrConflict)
			if !strings.Contains(err.Error(), "alpha") {
				t.Fatalf("in a transaction %v: the conflict does not name the stale stage alpha: %v", inTx, err)
			}
			if got := read("mid"); got.Status != model.StagePending {
				t.Fatalf("in a transaction %v: a refused StageUpdates stored its first write: mid is %s", inTx, got.Status)
			}
		}
	})

	t.Run("ConcurrentStageUpdate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		read, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
		must(t, err)

		wins := raceWorkers(t, 10, func(i int) error {
			st := *read // every worker read the same running stage
			st.Status = model.StageSucceeded
			st.EndedAt = ptr(t0.Add(time.Duration(i) * time.Second))
			return b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: &st, From: []model.StageStatus{model.StageRunning}})
		})
		if wins != 1 {
			t.Fatalf("%d workers moved the stage from running to succeeded, want exactly 1", wins)
		}
	})

	t.Run("ConcurrentStageUpdateInTx", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))

		wins := raceWorkers(t, 10, func(i int) error {
			return b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
				st, err := tx.StageGet(ctx, "exec-1", "zeta")
				if err != nil {
					return err
				}
				st.Status = model.StageSucceeded
				return tx.StageUpdate(ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}})
			})
		})
		if wins != 1 {
			t.Fatalf("%d transactions moved the stage from running to succeeded, want exactly 1", wins)
		}
	})
}

// raceWorkers starts n workers at once and counts those whose call returned
// nil. Every other call must fail with ErrConflict.
func raceWorkers(t *testing.T, n int, call func(i int) error) int {
	t.Helper()
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := call(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrConflict) {
				errs = append(errs, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("losing workers must get ErrConflict, got: %v", errors.Join(errs...))
	}
	return wins
}
