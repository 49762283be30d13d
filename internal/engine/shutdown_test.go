package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// blocker is a stage whose call takes until released.
type blocker struct {
	calls   atomic.Int64
	started chan struct{}
	release chan struct{}
}

func (b *blocker) Run(ctx context.Context, _ stage.Input) stage.Result {
	if b.calls.Add(1) == 1 {
		close(b.started)
	}
	<-b.release
	return stage.Succeed(nil)
}

// A server that stops while a step's call is in flight stores that call's
// result before it exits, so the next server does not make the call again.
func TestStopStoresTheResultOfACallInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	b := &blocker{started: make(chan struct{}), release: make(chan struct{})}
	runners := map[model.StageType]stage.Runner{model.StageNoop: b}
	// The context a server gets from its signal handler: canceled on SIGTERM.
	sigCtx, sigterm := context.WithCancel(ctx)
	eng, err := engine.New(engine.Config{Store: st, Runners: runners, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(sigCtx); err != nil {
		t.Fatal(err)
	}
	pl := model.Pipeline{Name: "p", Application: "a", Stages: []model.StageSpec{{Name: "call", Noop: &model.NoopStage{}}}}
	exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	<-b.started
	sigterm()
	stopped := make(chan error, 1)
	go func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stopped <- eng.Stop(stopCtx)
	}()
	close(b.release) // the call answers while the server stops
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	got, err := st.ExecutionGet(ctx, exec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != model.ExecutionSucceeded {
		t.Fatalf("after a stop during the call the execution is %s (stage %s, claimed by %q); want succeeded: the call's result must be stored before the server exits",
			got.Status, got.Stages[0].Status, got.Stages[0].ClaimedBy)
	}
	// The next server has nothing to do again.
	next, err := engine.New(engine.Config{Store: st, Runners: runners, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer next.Stop(ctx) //nolint:errcheck
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("the call was made %d times, want once", n)
	}
}
