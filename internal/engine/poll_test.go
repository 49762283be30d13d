package engine_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// poller asks to be called again every 100 ms, polls times, then succeeds,
// as a stage waiting for a lease or polling a status URL does.
type poller struct {
	polls int
	runs  atomic.Int64
}

func (p *poller) Run(_ context.Context, in stage.Input) stage.Result {
	p.runs.Add(1)
	var n int
	if len(in.Stage.State) > 0 {
		_ = json.Unmarshal(in.Stage.State, &n)
	}
	if n >= p.polls {
		return stage.Succeed(map[string]int{"polls": n})
	}
	b, _ := json.Marshal(n + 1)
	return stage.Result{Outcome: stage.Continue, At: in.Now.Add(100 * time.Millisecond), State: b}
}

// TestPollingStageRunsOncePerWakeUp: each wake-up has two nudges (the
// durable scheduled job and an in-process timer); only one may run the
// stage, or a polling stage's runs double every round.
func TestPollingStageRunsOncePerWakeUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	p := &poller{polls: 12}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: p}, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(ctx) //nolint:errcheck
	pl := model.Pipeline{Name: "poll", Application: "a", Stages: []model.StageSpec{{Name: "poll", Noop: &model.NoopStage{}}}}
	exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	waitTerminal(t, st, exec.ID, 20*time.Second)
	// Let late duplicates (the scheduled jobs, released every few seconds) run.
	time.Sleep(6 * time.Second)
	// polls+1 exactly, unless both nudges of one wake-up happened to run at
	// the same moment (both see the version, the later write loses).
	if runs := p.runs.Load(); runs < int64(p.polls)+1 || runs > int64(p.polls)+2 {
		t.Errorf("the stage ran %d times for %d polls and the last call, want %d", runs, p.polls, p.polls+1)
	}
}
