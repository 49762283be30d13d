package stage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// fakeTarget is an in-memory Target. It keeps which server groups run, the
// last traffic split and the front door's counters, and lists the calls
// made to it, so a test can see that one call of a runner makes at most
// one of them.
type fakeTarget struct {
	mu      sync.Mutex
	calls   []string // since the last takeCalls
	history []string // every call
	started []model.ServerGroup
	running map[string]model.ServerGroupRole
	routes  []Route
	// unhealthy makes CheckHealthy fail for server groups of this version.
	unhealthy string
	// slow makes CheckHealthy say "not yet" for this long of the caller's
	// wait, and fail past startup (like a startup timeout), for this version.
	slow, startup time.Duration
	slowVersion   string
	// errorsPer1000 is how many of every 1000 requests fail, by role.
	errorsPer1000 map[model.ServerGroupRole]uint64
	counters      map[string]analysis.Counters
	// stale makes ConfirmTraffic say traffic has not arrived, in these words.
	stale string
	// routeErr makes Route fail with it (a front door that cannot be set).
	routeErr error
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{running: map[string]model.ServerGroupRole{}, counters: map[string]analysis.Counters{}}
}

func (t *fakeTarget) call(format string, args ...any) {
	c := fmt.Sprintf(format, args...)
	t.calls, t.history = append(t.calls, c), append(t.history, c)
}

// takeHistory returns every call made since the last takeHistory.
func (t *fakeTarget) takeHistory() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.history
	t.history = nil
	return h
}

// takeCalls returns the calls made since the last takeCalls.
func (t *fakeTarget) takeCalls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.calls
	t.calls = nil
	return c
}

func (t *fakeTarget) Ensure(_ context.Context, sg model.ServerGroup, _ model.Application) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("Ensure %s", sg.Name)
	if _, ok := t.running[sg.Name]; !ok {
		t.started = append(t.started, sg)
	}
	t.running[sg.Name] = sg.Role
	return nil
}

func (t *fakeTarget) CheckHealthy(_ context.Context, sg model.ServerGroup, waited time.Duration) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("CheckHealthy %s", sg.Name)
	if _, ok := t.running[sg.Name]; !ok {
		return false, fmt.Errorf("%s is not running", sg.Name)
	}
	if sg.Version == t.unhealthy {
		return false, errors.New("instance 1: GET /healthz: 503")
	}
	if sg.Version == t.slowVersion {
		switch {
		case waited > t.startup:
			return false, fmt.Errorf("instance 1 did not answer GET /healthz within %s", t.startup)
		case waited < t.slow:
			return false, nil
		}
	}
	return true, nil
}

func (t *fakeTarget) Resize(_ context.Context, sg model.ServerGroup, _ model.Application, n int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("Resize %s %d", sg.Name, n)
	return nil
}

func (t *fakeTarget) Destroy(_ context.Context, sg model.ServerGroup) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("Destroy %s", sg.Name)
	delete(t.running, sg.Name)
	return nil
}

func (t *fakeTarget) Route(_ context.Context, _ model.Application, _ model.Environment, routes []Route) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("Route %v", routes)
	if t.routeErr != nil {
		return t.routeErr
	}
	t.routes = slices.Clone(routes)
	return nil
}

// ConfirmTraffic says traffic has not reached the routed groups while
// stale is set (like EndpointSlices an API server restart left behind).
func (t *fakeTarget) ConfirmTraffic(_ context.Context, _ model.Application, _ model.Environment, routes []Route) (bool, string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("ConfirmTraffic %v", routes)
	if t.stale != "" {
		return false, t.stale, nil
	}
	return true, "", nil
}

// Counters serves 1000 more requests on every running group per call (a
// reading at an interval's start and one at its end see 1000 each), with
// errorsPer1000 of them failing, all in 20 ms.
func (t *fakeTarget) Counters(context.Context, string, string) (map[string]analysis.Counters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.call("Counters")
	out := map[string]analysis.Counters{}
	for name, role := range t.running {
		c := t.counters[name]
		if c.Bounds == nil {
			c.Bounds, c.Buckets = []float64{0.05, 0.1}, []uint64{0, 0, 0}
		}
		c.Requests += 1000
		c.Errors += t.errorsPer1000[role]
		c.Buckets = []uint64{c.Buckets[0] + 1000, 0, 0}
		c.Sum += 1000 * 0.02
		t.counters[name] = c
		out[name] = c
	}
	return out, nil
}

// routeWeights is the last split routed, by server group.
func (t *fakeTarget) routeWeights() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for _, r := range t.routes {
		out[r.ServerGroup] = r.Weight
	}
	return out
}

// deployBundle is a deploy runner on a real SQLite store holding the
// application checkout (which lets a deploy set LOG_LEVEL) and the local
// environment, with a fake target.
type deployBundle struct {
	store  store.Store
	target *fakeTarget
	deploy *Deploy
	// env is the environment start deploys to (default "local").
	env string
}

func newDeployBundle(t *testing.T) *deployBundle {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, err = st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "/bin/sh", Args: []string{"-c", "exec ./checkout --version {{version}}"}},
			DeployEnv: []string{"LOG_LEVEL"}}},
		Environments: []model.Environment{{Name: "local", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"checkout": "127.0.0.1:1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &deployBundle{store: st, target: newFakeTarget(), env: "local"}
	b.deploy = &Deploy{Store: st, Targets: func(model.Environment) (Target, error) { return b.target, nil }, Judge: analysis.ThresholdJudge{}}
	return b
}

// input is a highlander deploy stage of checkout to local, in an
// execution run with params.
func (b *deployBundle) input(params map[string]string, version string) Input {
	spec := model.StageSpec{Name: "deploy", Deploy: &model.DeployStage{Environment: "local", Version: version, Strategy: model.Strategy{Type: model.StrategyHighlander}}}
	in := inputFor(spec, clock, clock)
	in.Execution.Application, in.Execution.Params, in.Execution.CreatedAt = "checkout", params, clock
	return in
}

// step calls the runner once, checks that the call made at most one call
// to the target and wrote nothing to the store itself, then commits the
// result's writes as the engine does and moves in on: the new state, the
// judgment consumed, the clock at the time the runner asked to be called
// again. A write that loses a race leaves in as it was.
func (b *deployBundle) step(t *testing.T, in *Input) Result {
	t.Helper()
	before := b.snapshot(t, in.Execution.ID)
	b.target.takeCalls()
	r := b.deploy.Run(t.Context(), *in)
	if calls := b.target.takeCalls(); len(calls) > 1 {
		t.Fatalf("one call of the runner made %d calls to the target: %v", len(calls), calls)
	}
	if after := b.snapshot(t, in.Execution.ID); after != before {
		t.Fatalf("the runner wrote the store itself:\nbefore %s\nafter  %s", before, after)
	}
	err := b.store.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return ApplyWrites(ctx, tx, r.Writes)
	})
	if errors.Is(err, store.ErrConflict) {
		return Result{Outcome: Continue}
	}
	if err != nil {
		t.Fatalf("committing the writes %v: %v", r.Writes, err)
	}
	if r.State != nil {
		in.Stage.State = r.State
	}
	if r.ClearJudgment {
		in.Stage.Judgment = nil
	}
	if (r.Outcome == Continue || r.Outcome == WaitForPerson) && r.At.After(in.Now) {
		in.Now = r.At
	}
	return r
}

// snapshot is what the store holds about the cluster and the analyses.
func (b *deployBundle) snapshot(t *testing.T, execID string) string {
	t.Helper()
	groups, err := b.store.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "checkout", IncludeDestroyed: true})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := b.store.AnalysisList(t.Context(), execID)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v %+v", groups, recs)
}

// run calls the runner until it fails, succeeds or waits for a person (at
// most n calls), committing what it asks for.
func (b *deployBundle) run(t *testing.T, in *Input, n int) Result {
	t.Helper()
	var r Result
	for range n {
		r = b.step(t, in)
		if r.Outcome != Continue {
			return r
		}
	}
	return r
}
