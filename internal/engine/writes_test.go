package engine_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// namer records a server group under the name its state says (app-v001 at
// first), as a deploy's create does, and succeeds once the record is in.
type namer struct {
	st     store.Store
	mu     sync.Mutex
	states []string // the state each call started from
}

func (n *namer) Run(ctx context.Context, in stage.Input) stage.Result {
	n.mu.Lock()
	n.states = append(n.states, string(in.Stage.State))
	n.mu.Unlock()
	if _, err := n.st.ServerGroupGet(ctx, "prod", "app-v002"); err == nil {
		return stage.Succeed(nil)
	}
	seq := 1
	if _, err := n.st.ServerGroupGet(ctx, "prod", "app-v001"); err == nil {
		seq = 2 // taken since: pick the next one
	}
	sg := model.ServerGroup{Name: "app-v00" + string(rune('0'+seq)), Application: "app", Environment: "prod", Sequence: seq,
		Version: "1", Role: model.RoleProduction, Status: model.ServerGroupCreating, CreatedAt: in.Now}
	return stage.Again(in.Now, map[string]int{"seq": seq}).WithWrites(stage.ServerGroupInsert{Group: sg})
}

// A runner's write that loses a race (the name it picked was taken between
// its read and the commit) is not stored, and neither is the result it came
// with: the step is made again from the state it started from.
func TestARunnersLostWriteMakesTheStepAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	n := &namer{}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{model.StageNoop: n}, SingleNode: true, Inline: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The runner's first read says app-v001 is free, and right after it
	// someone else takes the name (hideFirstRead), as a concurrent deploy
	// would.
	taken := model.ServerGroup{Name: "app-v001", Application: "app", Environment: "prod", Sequence: 1, Version: "0",
		Role: model.RoleProduction, Status: model.ServerGroupUp, CreatedAt: time.Now()}
	pl := model.Pipeline{Name: "p", Application: "app", Stages: []model.StageSpec{{Name: "create", Noop: &model.NoopStage{}}}}
	exec, err := eng.StartPipeline(ctx, pl, nil, model.Trigger{}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	n.st = &hideFirstRead{Store: st, name: "app-v001", then: func() { must(t, st.ServerGroupInsert(ctx, &taken)) }}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(context.WithoutCancel(ctx)) //nolint:errcheck
	got := waitEnded(t, eng, st, exec.ID)
	if got.Status != model.ExecutionSucceeded {
		t.Fatalf("execution %s: %s (%s)", exec.ID, got.Status, got.Reason)
	}
	sg, err := st.ServerGroupGet(ctx, "prod", "app-v002")
	if err != nil || sg.Status != model.ServerGroupCreating {
		t.Fatalf("the step made again should have recorded app-v002 (creating): %+v, %v", sg, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Call 1 picked v001 (lost), call 2 started again from the empty state
	// and picked v002, call 3 saw it and succeeded.
	if len(n.states) != 3 || n.states[1] != n.states[0] {
		t.Fatalf("calls started from states %q; want 3 calls, the second from the first's state (the lost result not stored)", n.states)
	}
	var s struct{ Seq int }
	_ = json.Unmarshal([]byte(n.states[2]), &s)
	if s.Seq != 2 {
		t.Fatalf("the third call started from %q, want the stored seq 2", n.states[2])
	}
}

// hideFirstRead answers the first ServerGroupGet of name with not found and
// then runs then (which takes the name), as a concurrent deploy would.
type hideFirstRead struct {
	store.Store
	name string
	then func()
	once sync.Once
}

func (h *hideFirstRead) ServerGroupGet(ctx context.Context, env, name string) (*model.ServerGroup, error) {
	hidden := false
	if name == h.name {
		h.once.Do(func() { hidden = true; h.then() })
	}
	if hidden {
		return nil, store.ErrNotFound
	}
	return h.Store.ServerGroupGet(ctx, env, name)
}

// waitEnded waits for the execution's end on the engine's live updates
// and returns it.
func waitEnded(t *testing.T, eng *engine.Engine, st store.Store, id string) *model.Execution {
	t.Helper()
	return waitUntil(t, eng, st, id, "ended", func(e *model.Execution) bool { return e.Status.Terminal() })
}

// waitUntil reads the execution again on each of the engine's live
// updates until ok holds, and returns it; what names the wait in a failure.
func waitUntil(t *testing.T, eng *engine.Engine, st store.Store, id, what string, ok func(*model.Execution) bool) *model.Execution {
	t.Helper()
	updates, unsubscribe := eng.Bus().Subscribe()
	defer unsubscribe()
	timeout := time.After(20 * time.Second)
	for {
		exec, err := st.ExecutionGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(exec) {
			return exec
		}
		select {
		case <-updates:
		case <-timeout:
			t.Fatalf("execution %s not %s after 20s: %s (%s) %+v", id, what, exec.Status, exec.Reason, exec.Stages)
		}
	}
}
