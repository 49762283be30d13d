package engine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// countingStore counts the calls of the queries an engine could repeat
// while it has nothing to do: the due scan's, the change feed's, the
// execution reads and the write transactions.
type countingStore struct {
	store.Store
	calls atomic.Int64
}

func (s *countingStore) StageDue(ctx context.Context, p store.StageDueParams) ([]store.StageRef, error) {
	s.calls.Add(1)
	return s.Store.StageDue(ctx, p)
}

func (s *countingStore) ChangeList(ctx context.Context, p store.ChangeListParams) ([]store.Change, error) {
	s.calls.Add(1)
	return s.Store.ChangeList(ctx, p)
}

func (s *countingStore) ChangeLast(ctx context.Context) (int64, error) {
	s.calls.Add(1)
	return s.Store.ChangeLast(ctx)
}

func (s *countingStore) ChangeDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	s.calls.Add(1)
	return s.Store.ChangeDeleteBefore(ctx, before)
}

func (s *countingStore) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	s.calls.Add(1)
	return s.Store.ExecutionGet(ctx, id)
}

func (s *countingStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	s.calls.Add(1)
	return s.Store.InTx(ctx, fn)
}

// An idle server on the embedded store does not poll its database: the due
// scan runs every 30 s as a safety net, and the change feed reads the
// outbox only when a change was made and someone watches.
func TestAnIdleEngineMakesNoStoreQueries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := &countingStore{Store: openStore(t)}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: stage.Noop{}}, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(context.WithoutCancel(ctx)) //nolint:errcheck
	time.Sleep(500 * time.Millisecond)         // the start's own reads
	before := st.calls.Load()
	time.Sleep(3 * time.Second)
	if n := st.calls.Load() - before; n != 0 {
		t.Errorf("the idle engine queried the store %d times in 3 s, want 0 (no polling when nothing is due)", n)
	}
	// A live view is no reason to poll either on a single node.
	_, unsubscribe := eng.Bus().Subscribe()
	defer unsubscribe()
	time.Sleep(200 * time.Millisecond) // the feed catches up once
	before = st.calls.Load()
	time.Sleep(2 * time.Second)
	if n := st.calls.Load() - before; n != 0 {
		t.Errorf("the idle engine with a live view queried the store %d times in 2 s, want 0", n)
	}
}

// waiter waits delay on its first call (a wait stage) and succeeds on the
// next, recording when each call came.
type waiter struct {
	delay time.Duration
	mu    sync.Mutex
	calls []time.Time
}

func (w *waiter) Run(_ context.Context, in stage.Input) stage.Result {
	w.mu.Lock()
	w.calls = append(w.calls, time.Now())
	w.mu.Unlock()
	if len(in.Stage.State) == 0 {
		return stage.Result{Outcome: stage.Continue, At: in.Now.Add(w.delay), State: []byte(`"waited"`)}
	}
	return stage.Succeed(nil)
}

func (w *waiter) times() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.calls...)
}

// A stage that waits fires on time although the workers never poll for
// jobs (PollInterval a minute): the in-process timer's job wakes them.
func TestAWaitFiresOnTimeWithoutPolling(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st := kind.open(t)
			w := &waiter{delay: 2 * time.Second}
			eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: w},
				SingleNode: kind.singleNode, PollInterval: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer eng.Stop(context.WithoutCancel(ctx)) //nolint:errcheck
			pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "wait", Noop: &model.NoopStage{}}}}
			started := time.Now()
			exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
			if err != nil {
				t.Fatal(err)
			}
			waitTerminal(t, st, exec.ID, 20*time.Second)
			calls := w.times()
			if len(calls) != 2 {
				t.Fatalf("the stage ran %d times, want 2 (the wait, then its end)", len(calls))
			}
			if d := calls[0].Sub(started); d > time.Second {
				t.Errorf("the stage's first call came %s after the start, want within 1s: the new job did not wake the workers", d.Round(time.Millisecond))
			}
			if late := calls[1].Sub(calls[0]) - w.delay; late > time.Second {
				t.Errorf("the wait of %s fired %s late, want within 1s", w.delay, late.Round(time.Millisecond))
			}
		})
	}
}

// With several replicas on PostgreSQL, a job one replica enqueues wakes
// another's workers through LISTEN/NOTIFY, without their polling.
func TestAnotherReplicasJobWakesTheWorkers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openPostgres(t)
	w := &waiter{}
	runners := map[model.StageType]stage.Runner{model.StageNoop: w}
	worker, err := engine.New(engine.Config{Store: st, Runners: runners, PollInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(context.WithoutCancel(ctx)) //nolint:errcheck
	// The other replica is not started: it enqueues, and works no jobs.
	other, err := engine.New(engine.Config{Store: st, Runners: runners, PollInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the worker's listener is up
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "now", Noop: &model.NoopStage{}}}}
	started := time.Now()
	exec, err := other.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	waitTerminal(t, st, exec.ID, 20*time.Second)
	if d := time.Since(started); d > 2*time.Second {
		t.Errorf("the other replica's job ran %s after it was enqueued, want within 2s", d.Round(time.Millisecond))
	}
}

// waitTerminal waits until the execution has ended, succeeded.
func waitTerminal(t *testing.T, st store.Store, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		e, err := st.ExecutionGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status.Terminal() {
			if e.Status != model.ExecutionSucceeded {
				t.Fatalf("execution %s: %s", e.Status, e.Reason)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still %s after %s", e.Status, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
