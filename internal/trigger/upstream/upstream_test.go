package upstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/runner"
	"github.com/gennaker/gennaker/internal/trigger/upstream"
	"github.com/gennaker/gennaker/test/pgenv"
)

// failing is a stage runner that fails: the wait stages of these tests
// stand for a deploy that did not work.
type failing struct{}

func (failing) Run(context.Context, stage.Input) stage.Result {
	return stage.Failf("the target was down")
}

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

// world is a real store with a real engine that runs noop stages
// (succeed) and wait stages (fail).
type world struct {
	st  store.Store
	eng *engine.Engine
}

// storeKinds are the stores the tests run on: the embedded SQLite (one
// server) and PostgreSQL (replicas; concurrent writers), as subtests.
var storeKinds = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		st, err := postgres.Open(t.Context(), pgenv.Shared(t).Database(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// eachStore runs test on every store kind.
func eachStore(t *testing.T, test func(t *testing.T, w *world)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			test(t, newWorld(t, k.open(t), k.name == "sqlite"))
		})
	}
}

func newWorld(t *testing.T, st store.Store, singleNode bool) *world {
	t.Helper()
	eng, err := engine.New(engine.Config{Store: st, SingleNode: singleNode, Logger: slog.New(slog.DiscardHandler),
		Runners: map[model.StageType]stage.Runner{model.StageNoop: stage.Noop{}, model.StageWait: failing{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Stop(context.WithoutCancel(t.Context())) })
	app := func(name string) model.Application {
		return model.Application{Name: name, Instances: 1, Run: model.RunSpec{Command: "true"}, DeployEnv: []string{"LOG_LEVEL"}}
	}
	if _, err := st.ConfigApply(t.Context(), model.Config{Applications: []model.Application{app("cart"), app("search")}}); err != nil {
		t.Fatal(err)
	}
	return &world{st: st, eng: eng}
}

func pipeline(app, name string, ok bool) model.Pipeline {
	st := model.StageSpec{Name: "deploy", Noop: &model.NoopStage{}}
	if !ok {
		st = model.StageSpec{Name: "deploy", Wait: &model.WaitStage{}}
	}
	return model.Pipeline{Name: name, Application: app, Stages: []model.StageSpec{st},
		Parameters: []model.Parameter{{Name: "note"}}}
}

// run starts pl and waits until it ends.
func (w *world) run(t *testing.T, pl model.Pipeline, params map[string]string, tr model.Trigger) *model.Execution {
	t.Helper()
	updates, unsubscribe := w.eng.Bus().Subscribe()
	defer unsubscribe()
	exec, err := w.eng.StartPipeline(t.Context(), pl, params, tr, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(20 * time.Second)
	for {
		got, err := w.st.ExecutionGet(t.Context(), exec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Terminal() {
			return got
		}
		select {
		case <-updates:
		case <-timeout:
			t.Fatalf("execution %s of %s did not end within 20s", exec.ID, pl.Name)
		}
	}
}

func prodRef(status ...model.ExecutionStatus) trigger.Ref {
	prod := model.Pipeline{Name: "prod", Application: "cart", Stages: []model.StageSpec{{Name: "deploy", Noop: &model.NoopStage{}}},
		Parameters: []model.Parameter{{Name: "ticket"}}}
	spec := model.TriggerSpec{Name: "after-staging", Pipeline: &model.PipelineTrigger{Pipeline: "staging", Status: status}}
	prod.Triggers = []model.TriggerSpec{spec}
	return trigger.Ref{Pipeline: prod, Spec: spec}
}

func TestPollerFiresOnceForEachUpstreamEnding(t *testing.T) {
	t.Parallel()
	eachStore(t, testPollerFiresOnce)
}

func testPollerFiresOnce(t *testing.T, w *world) {
	ctx := t.Context()
	p := &upstream.Poller{Store: w.st}
	ref := prodRef()

	// An ending before the trigger's first look does not fire.
	w.run(t, pipeline("cart", "staging", true), map[string]string{"version": "1.4.1"}, model.Trigger{Kind: "manual"})
	firings, cur, err := p.Poll(ctx, ref, nil)
	if err != nil || len(firings) != 0 {
		t.Fatalf("first look: %v, %v; want no firings", firings, err)
	}

	commitTime := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	ok := w.run(t, pipeline("cart", "staging", true), map[string]string{"version": "1.4.2", "note": "hotfix", "env.LOG_LEVEL": "debug"},
		model.Trigger{Kind: "git", CommitSHA: "0123456789abcdef", CommitTime: &commitTime, Digest: "sha256:abc", Name: "cart/staging/main"})
	failed := w.run(t, pipeline("cart", "staging", false), map[string]string{"version": "1.4.3"}, model.Trigger{Kind: "manual"})
	w.run(t, pipeline("cart", "canary", true), map[string]string{"version": "1.4.2"}, model.Trigger{Kind: "manual"})
	w.run(t, pipeline("search", "staging", true), map[string]string{"version": "9.0.0"}, model.Trigger{Kind: "manual"})
	if ok.Status != model.ExecutionSucceeded || failed.Status != model.ExecutionFailed {
		t.Fatalf("upstream runs ended %s and %s, want succeeded and failed", ok.Status, failed.Status)
	}

	firings, next, err := p.Poll(ctx, ref, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(firings) != 1 {
		t.Fatalf("got %d firings, want 1 (cart/staging succeeded; not the failed one, not canary, not search/staging): %+v", len(firings), firings)
	}
	f := firings[0]
	if f.DeliveryID != ok.ID {
		t.Errorf("delivery %s, want the upstream execution %s", f.DeliveryID, ok.ID)
	}
	if len(f.Params) != 2 || f.Params["version"] != "1.4.2" || f.Params["env.LOG_LEVEL"] != "debug" {
		t.Errorf("params %v, want version and env.LOG_LEVEL (note is not a prod parameter)", f.Params)
	}
	if f.Record.Kind != "pipeline" || f.Record.CommitSHA != "0123456789abcdef" || f.Record.CommitTime == nil ||
		!f.Record.CommitTime.Equal(commitTime) || f.Record.Digest != "sha256:abc" {
		t.Errorf("record %+v, want kind pipeline with the upstream's commit and digest", f.Record)
	}
	ex := f.Input["execution"].(map[string]any)
	tr := ex["trigger"].(map[string]any)
	if ex["id"] != ok.ID || ex["application"] != "cart" || ex["pipeline"] != "staging" || ex["status"] != "succeeded" ||
		ex["version"] != "1.4.2" || ex["params"].(map[string]any)["note"] != "hotfix" || tr["kind"] != "git" || tr["commitSha"] != "0123456789abcdef" {
		t.Errorf("input execution = %v", ex)
	}
	var payload map[string]any
	if err := json.Unmarshal(f.Record.Payload, &payload); err != nil || payload["execution"] == nil {
		t.Errorf("payload %s: %v", f.Record.Payload, err)
	}

	// Nothing new: nothing fires, and the cursor has moved past the other
	// applications' events too.
	again, after, err := p.Poll(ctx, ref, next)
	if err != nil || len(again) != 0 || string(after) != string(next) {
		t.Errorf("a second look fired %v (%v), cursor %s → %s", again, err, next, after)
	}
	// The same look made again (a cursor that was not saved) names the
	// same delivery: the Starter starts it once.
	replay, _, err := p.Poll(ctx, ref, cur)
	if err != nil || len(replay) != 1 || replay[0].DeliveryID != ok.ID {
		t.Errorf("a repeated look gave %v, %v", replay, err)
	}

	// A trigger on failures fires for the failed one only.
	onFail, _, err := p.Poll(ctx, prodRef(model.ExecutionFailed), cur)
	if err != nil || len(onFail) != 1 || onFail[0].DeliveryID != failed.ID || onFail[0].Input["execution"].(map[string]any)["status"] != "failed" {
		t.Errorf("status [failed] fired %+v, %v; want the failed execution %s", onFail, err, failed.ID)
	}
}

// starter starts the downstream pipeline through the real engine, once per
// (trigger, delivery): the dedup here is a map, where the trigger service
// claims the delivery in the execution's transaction.
type starter struct {
	eng     *engine.Engine
	mu      sync.Mutex
	started map[string]string
}

func (s *starter) Fire(ctx context.Context, f trigger.Firing) (trigger.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := f.Ref.Key() + "|" + f.DeliveryID
	if id, ok := s.started[k]; ok {
		return trigger.Result{ExecutionID: id, Duplicate: true}, nil
	}
	rec := f.Record
	rec.Name, rec.DeliveryID = f.Ref.Key(), f.DeliveryID
	exec, err := s.eng.StartPipeline(ctx, f.Ref.Pipeline, f.Params, rec, engine.Guard{})
	if err != nil {
		return trigger.Result{}, err
	}
	s.started[k] = exec.ID
	return trigger.Result{ExecutionID: exec.ID, Params: exec.Params}, nil
}

type cursors struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *cursors) TriggerCursor(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

func (c *cursors) SetTriggerCursor(_ context.Context, key string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = v
	return nil
}

// The runner, on two replicas, starts prod once after staging succeeds:
// the prod execution carries the staging change's commit and version.
func TestRunnerStartsDownstreamAfterUpstream(t *testing.T) {
	t.Parallel()
	eachStore(t, testRunnerStartsDownstream)
}

func testRunnerStartsDownstream(t *testing.T, w *world) {
	ref := prodRef()
	staging := pipeline("cart", "staging", true)
	if _, err := w.st.ConfigApply(t.Context(), model.Config{Pipelines: []model.Pipeline{staging, ref.Pipeline}}); err != nil {
		t.Fatal(err)
	}
	s := &starter{eng: w.eng, started: map[string]string{}}
	cur := &cursors{m: map[string][]byte{}}
	for range 2 {
		r := runner.New(runner.Config{
			Pipelines: w.st, Starter: s, Cursors: cur, Logger: slog.New(slog.DiscardHandler),
			Pollers:     map[string]trigger.Poller{"pipeline": &upstream.Poller{Store: w.st, Every: 20 * time.Millisecond}},
			ConfigEvery: 50 * time.Millisecond,
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	// Wait for the first look (the cursor) so the run below is after it.
	deadline := time.Now().Add(10 * time.Second)
	for c, _ := cur.TriggerCursor(t.Context(), ref.Key()); c == nil; c, _ = cur.TriggerCursor(t.Context(), ref.Key()) {
		if time.Now().After(deadline) {
			t.Fatal("the runner made no first look within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	commitTime := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	up := w.run(t, staging, map[string]string{"version": "2.0.0"}, model.Trigger{Kind: "git", CommitSHA: "feedface", CommitTime: &commitTime})

	var prod []model.Execution
	for time.Now().Before(deadline.Add(10 * time.Second)) {
		var err error
		if prod, err = w.st.ExecutionList(t.Context(), store.ExecutionListParams{Pipeline: "prod"}); err != nil {
			t.Fatal(err)
		}
		if len(prod) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // both replicas look several more times
	prod, err := w.st.ExecutionList(t.Context(), store.ExecutionListParams{Pipeline: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 1 {
		t.Fatalf("%d prod executions, want 1", len(prod))
	}
	e := prod[0]
	if e.Trigger.Kind != "pipeline" || e.Trigger.DeliveryID != up.ID || e.Trigger.Name != "cart/prod/after-staging" ||
		e.Trigger.CommitSHA != "feedface" || e.Params["version"] != "2.0.0" {
		t.Errorf("prod execution: trigger %+v, params %v", e.Trigger, e.Params)
	}
}

func TestFinishedStatus(t *testing.T) {
	t.Parallel()
	for detail, want := range map[string]model.ExecutionStatus{
		"succeeded": model.ExecutionSucceeded, "failed: stage deploy failed: boom": model.ExecutionFailed,
		"canceled: by ada": model.ExecutionCanceled, "running": "", "": "",
	} {
		got, ok := upstream.FinishedStatus(detail)
		if got != want || ok != (want != "") {
			t.Errorf("FinishedStatus(%q) = %q, %v; want %q", detail, got, ok, want)
		}
	}
}

// Upstream executions end concurrently (on PostgreSQL, in transactions
// that commit in any order) while the poller tails the log with a saved
// cursor: every ending fires exactly once, none is skipped.
func TestPollerMissesNoConcurrentEnding(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, w *world) {
		ctx := t.Context()
		p := &upstream.Poller{Store: w.st}
		ref := prodRef()
		_, cur, err := p.Poll(ctx, ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		const n = 16
		ended := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				exec, err := w.eng.StartPipeline(ctx, pipeline("cart", "staging", true), map[string]string{"version": fmt.Sprintf("1.0.%d", i)}, model.Trigger{Kind: "manual"}, engine.Guard{})
				if err != nil {
					t.Error(err)
					return
				}
				ended <- exec.ID
			})
		}
		fired := map[string]int{}
		look := func() {
			firings, next, err := p.Poll(ctx, ref, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range firings {
				fired[f.DeliveryID]++
			}
			cur = next
		}
		started := map[string]bool{}
		deadline := time.Now().Add(30 * time.Second)
		for len(fired) < n && time.Now().Before(deadline) {
			look()
			for drained := false; !drained; {
				select {
				case id := <-ended:
					started[id] = true
				default:
					drained = true
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		wg.Wait()
		close(ended)
		for id := range ended {
			started[id] = true
		}
		look()
		for id, c := range fired {
			if c != 1 || !started[id] {
				t.Errorf("ending of %s fired %d times (started by this test: %v)", id, c, started[id])
			}
		}
		if len(fired) != n {
			t.Errorf("fired for %d of %d endings", len(fired), n)
		}
	})
}
