package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// blockFirst blocks the steps of the stage named "block" until released,
// and records which claims made each step.
type blockFirst struct {
	release chan struct{}
	claims  chan string
}

func (b *blockFirst) Run(ctx context.Context, in stage.Input) stage.Result {
	b.claims <- in.Stage.ClaimedBy
	if in.Stage.Name == "block" {
		select {
		case <-b.release:
		case <-ctx.Done():
			return stage.Retry(ctx.Err())
		}
	}
	return stage.Succeed(nil)
}

// The server that starts an execution makes its steps itself: a chain of
// stages runs to the end without a single job, on both stores.
func TestEagerStartRunsWithoutJobs(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			var jobs atomic.Int32
			st := &hookedStore{Store: kind.open(t), insert: func() bool { jobs.Add(1); return true }}
			runner := &blockFirst{release: make(chan struct{}), claims: make(chan string, 10)}
			close(runner.release)
			eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: runner}, SingleNode: kind.singleNode})
			must(t, err)
			must(t, eng.Start(t.Context()))
			t.Cleanup(func() { _ = eng.Stop(context.WithoutCancel(t.Context())) })
			pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{
				{Name: "one", Noop: &model.NoopStage{}}, {Name: "two", Needs: []string{"one"}, Noop: &model.NoopStage{}},
				{Name: "three", Needs: []string{"two"}, Noop: &model.NoopStage{}},
			}}
			exec, err := eng.StartPipeline(t.Context(), pl, nil, model.Trigger{}, engine.Guard{})
			must(t, err)
			if got := exec.Stages[0]; got.Status != model.StageRunning || !strings.HasPrefix(got.ClaimedBy, "start/"+exec.ID+"/") {
				t.Fatalf("the started execution's first stage: %s claimed by %q; want running, claimed by this start", got.Status, got.ClaimedBy)
			}
			if got := waitEnded(t, eng, st, exec.ID); got.Status != model.ExecutionSucceeded {
				t.Fatalf("execution %s, want succeeded", got.Status)
			}
			if n := jobs.Load(); n != 0 {
				t.Fatalf("%d jobs were enqueued for an eagerly started execution, want 0", n)
			}
			for range 3 {
				if c := <-runner.claims; !strings.HasPrefix(c, "start/"+exec.ID+"/") {
					t.Fatalf("a step made under claim %q, want the starting server's", c)
				}
			}
		})
	}
}

// When the server carries on as many executions as Config.EagerStarts, the
// next start gives its first stage a job, which a worker makes; and Stop
// waits for an eager step in flight to store its result.
func TestEagerStartFallsBackToAJobWhenFull(t *testing.T) {
	t.Parallel()
	var jobs atomic.Int32
	st := &hookedStore{Store: openStore(t), insert: func() bool { jobs.Add(1); return true }}
	runner := &blockFirst{release: make(chan struct{}), claims: make(chan string, 10)}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: runner},
		SingleNode: true, EagerStarts: 1, PollInterval: 20 * time.Millisecond})
	must(t, err)
	must(t, eng.Start(t.Context()))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = eng.Stop(context.WithoutCancel(t.Context()))
		}
	})
	blocked, err := eng.StartPipeline(t.Context(), model.Pipeline{Name: "b", Application: "a", Stages: []model.StageSpec{{Name: "block", Noop: &model.NoopStage{}}}},
		nil, model.Trigger{}, engine.Guard{})
	must(t, err)
	if c := <-runner.claims; !strings.HasPrefix(c, "start/") {
		t.Fatalf("the first execution's step was made under %q, want its start's claim", c)
	}
	second, err := eng.StartPipeline(t.Context(), model.Pipeline{Name: "s", Application: "a", Stages: []model.StageSpec{{Name: "quick", Noop: &model.NoopStage{}}}},
		nil, model.Trigger{}, engine.Guard{})
	must(t, err)
	if got := waitEnded(t, eng, st, second.ID); got.Status != model.ExecutionSucceeded {
		t.Fatalf("second execution %s, want succeeded while the first blocks", got.Status)
	}
	if c := <-runner.claims; !strings.HasPrefix(c, "job/") {
		t.Fatalf("the second execution's step was made under %q, want a job's claim (the eager slot is taken)", c)
	}
	if n := jobs.Load(); n != 1 {
		t.Fatalf("%d jobs enqueued, want 1 (the second start's)", n)
	}

	// Stop waits for the blocked step, released a moment later, and its
	// result is stored.
	go func() { time.Sleep(100 * time.Millisecond); close(runner.release) }()
	must(t, eng.Stop(t.Context()))
	stopped = true
	got, err := st.ExecutionGet(t.Context(), blocked.ID)
	must(t, err)
	if got.Status != model.ExecutionSucceeded {
		t.Fatalf("after Stop the eagerly started execution is %s, want succeeded (its step in flight stored)", got.Status)
	}
}
