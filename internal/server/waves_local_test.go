package server

// A deploy in waves through the real engine, SQLite store, deploy runner
// and local provider (real processes: this test binary re-run as the
// sample service), with three local environments.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/sampleservice"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/k8senv"
)

// sampleServiceVar, set in an instance's environment, makes this test
// binary serve as the sample service instead of running tests.
const sampleServiceVar = "GENNAKER_TEST_SAMPLE_SERVICE"

func TestMain(m *testing.M) {
	local.MaybeServeFrontDoor() // the local target runs its front doors with this binary
	if os.Getenv(sampleServiceVar) == "1" {
		cfg, err := sampleservice.ConfigFromEnv()
		if err == nil {
			err = sampleservice.Run(context.Background(), cfg, slog.New(slog.DiscardHandler))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(k8senv.RunShared(m))
}

// unhealthyIn makes one environment's target report a version's instances
// failing their health check; everything else is the real local target.
type unhealthyIn struct {
	localTarget
	version string
}

func (u unhealthyIn) CheckHealthy(ctx context.Context, sg model.ServerGroup, waited time.Duration) (bool, error) {
	if sg.Version == u.version {
		return false, errors.New("instance 0: GET /healthz: 503 Service Unavailable")
	}
	return u.localTarget.CheckHealthy(ctx, sg, waited)
}

// waveRig is an engine on a real SQLite store with the local provider.
type waveRig struct {
	t     *testing.T
	st    *sqlite.Store
	prov  *local.Provider
	eng   *engine.Engine
	fail  map[string]string // environment -> version whose health fails there
	stop  func()
	envs  []string
	doors map[string]string
}

func newWaveRig(t *testing.T, envs ...string) *waveRig {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	prov, err := local.New(local.Config{DataDir: dir, Samples: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = prov.Shutdown(ctx)
	})
	r := &waveRig{t: t, st: st, prov: prov, fail: map[string]string{}, envs: envs, doors: map[string]string{}}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	app := model.Application{Name: "shop", Instances: 1,
		Run:         model.RunSpec{Command: exe, Env: map[string]model.StringOrSecret{sampleServiceVar: {Value: "1"}}},
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(100 * time.Millisecond), StartupTimeout: model.Duration(20 * time.Second)}}
	cfg := model.Config{Applications: []model.Application{app}}
	for _, e := range envs {
		r.doors[e] = freeAddr(t)
		cfg.Environments = append(cfg.Environments, model.Environment{Name: e, Target: model.TargetSpec{Kind: model.TargetLocal},
			FrontDoors: map[string]string{"shop": r.doors[e]}})
	}
	if _, err := st.ConfigApply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	r.start()
	t.Cleanup(func() { r.stop() })
	return r
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs an engine on the rig's store (again, after stop: a restart).
func (r *waveRig) start() {
	targets := func(env model.Environment) (stage.Target, error) {
		if v, ok := r.fail[env.Name]; ok {
			return unhealthyIn{localTarget{r.prov}, v}, nil
		}
		return localTarget{r.prov}, nil
	}
	eng, err := engine.New(engine.Config{Store: r.st, SingleNode: true, Logger: slog.New(slog.DiscardHandler),
		Runners: map[model.StageType]stage.Runner{model.StageDeploy: &stage.Deploy{Store: r.st, Targets: targets}}})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		r.t.Fatal(err)
	}
	r.eng = eng
	r.stop = func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		_ = eng.Stop(sctx)
		cancel()
		r.stop = func() {}
	}
}

func (r *waveRig) run(name, version string, d model.DeployStage) string {
	r.t.Helper()
	pl := model.Pipeline{Name: name, Application: "shop", Stages: []model.StageSpec{{Name: "deploy", Timeout: model.Duration(2 * time.Minute), Deploy: &d}}}
	e, err := r.eng.StartPipeline(r.t.Context(), pl, map[string]string{"version": version}, model.Trigger{Kind: "api", Actor: "test"}, engine.Guard{})
	if err != nil {
		r.t.Fatal(err)
	}
	return e.ID
}

func (r *waveRig) wait(id string, within time.Duration) *model.Execution {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		e, err := r.st.ExecutionGet(r.t.Context(), id)
		if err != nil {
			r.t.Fatal(err)
		}
		if e.Status.Terminal() {
			return e
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("execution %s did not end within %s: %s", id, within, stageSummary(e))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stageSummary(e *model.Execution) string {
	var b strings.Builder
	for _, st := range e.Stages {
		fmt.Fprintf(&b, "%s %s %s %s; ", st.Name, st.Status, st.Reason, st.Output)
	}
	return b.String()
}

// get asks env's front door once and returns the answer.
func (r *waveRig) get(env string) string {
	r.t.Helper()
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + r.doors[env] + "/")
	if err != nil {
		r.t.Fatalf("%s front door: %v", env, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// serving is what serves in each environment: the versions of the up
// groups with traffic, as "v1" or "v1+v2".
func (r *waveRig) serving() map[string]string {
	r.t.Helper()
	out := map[string]string{}
	for _, env := range r.envs {
		groups, err := r.st.ServerGroupList(r.t.Context(), store.ServerGroupListParams{Application: "shop", Environment: env})
		if err != nil {
			r.t.Fatal(err)
		}
		var vs []string
		for _, g := range groups {
			if g.Status == model.ServerGroupUp && g.Weight > 0 {
				vs = append(vs, g.Version)
			}
		}
		out[env] = strings.Join(vs, "+")
	}
	return out
}

func waveOutputOf(t *testing.T, e *model.Execution) model.WaveOutput {
	t.Helper()
	var out model.WaveOutput
	if err := json.Unmarshal(e.Stages[0].Output, &out); err != nil {
		t.Fatalf("stage output %s: %v", e.Stages[0].Output, err)
	}
	return out
}

func envPhases(out model.WaveOutput) map[string]model.WaveEnvPhase {
	m := map[string]model.WaveEnvPhase{}
	for _, e := range out.Environments {
		m[e.Name] = e.Phase
	}
	return m
}

func redBlackWaves(envs ...string) model.DeployStage {
	return model.DeployStage{Environments: envs, Waves: []model.Wave{{Count: 1}, {Percent: 25}, {Remaining: true}},
		Strategy: model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1}}
}

// TestWavesLocalFailureInWaveTwoRollsBackEveryDoneEnvironment: v1 in
// three local environments, then v2 in waves (c1 | c2 | c3) with v2
// unhealthy in c2: c1, which finished wave 1, is rolled back to v1; c2's
// own deploy undoes itself; c3 never changes. Every environment serves v1.
func TestWavesLocalFailureInWaveTwoRollsBackEveryDoneEnvironment(t *testing.T) {
	t.Parallel()
	r := newWaveRig(t, "c1", "c2", "c3")
	if e := r.wait(r.run("v1", "v1", redBlackWaves(r.envs...)), time.Minute); e.Status != model.ExecutionSucceeded {
		t.Fatalf("v1: %s: %s", e.Status, e.Reason)
	}
	if got := r.serving(); got["c1"] != "v1" || got["c2"] != "v1" || got["c3"] != "v1" {
		t.Fatalf("after v1: serving %v", got)
	}
	// Numbers count per environment: the release is shop-v001 in each, and
	// each environment's front door reaches its own instances of it.
	for _, env := range r.envs {
		groups, err := r.st.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "shop", Environment: env})
		if err != nil || len(groups) != 1 || groups[0].Name != "shop-v001" {
			t.Fatalf("%s has groups %+v (%v), want shop-v001 alone", env, groups, err)
		}
		if body := r.get(env); !strings.HasPrefix(body, "version=v1") {
			t.Fatalf("%s front door answered %q, want version=v1", env, body)
		}
	}
	r.fail["c2"] = "v2"
	e := r.wait(r.run("v2", "v2", redBlackWaves(r.envs...)), time.Minute)
	if e.Status != model.ExecutionFailed {
		t.Fatalf("v2: %s: %s, want failed", e.Status, e.Reason)
	}
	out := waveOutputOf(t, e)
	want := map[string]model.WaveEnvPhase{"c1": model.WaveEnvReverted, "c2": model.WaveEnvFailed, "c3": model.WaveEnvSkipped}
	if got := envPhases(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("phases %v, want %v (%s)", got, want, e.Reason)
	}
	if got := r.serving(); got["c1"] != "v1" || got["c2"] != "v1" || got["c3"] != "v1" {
		t.Errorf("after the failed wave: serving %v, want v1 everywhere", got)
	}
	t.Logf("v2: %s\n%s", e.Reason, e.Stages[0].Output)
	if !strings.Contains(e.Reason, "c2 failed in wave 2") || !strings.Contains(e.Reason, "rolled back c1") {
		t.Errorf("reason %q does not say which environment failed and which were rolled back", e.Reason)
	}
	// c1's v2 group is gone (destroyed, marked rolled back); c3 never got one.
	for _, env := range []string{"c1", "c3"} {
		groups, err := r.st.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "shop", Environment: env})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if g.Version == "v2" {
				t.Errorf("%s still has v2 group %s (%s)", env, g.Name, g.Status)
			}
		}
	}
	evs, err := r.st.EventList(t.Context(), store.EventListParams{Application: "shop", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		if ev.ExecutionID != e.ID {
			continue
		}
		kinds = append(kinds, string(ev.Kind)+"/"+ev.Environment)
	}
	for _, k := range []string{"wave_started/", "deploy_succeeded/c1", "deploy_failed/c2", "rolled_back/c1", "rolled_back/c2"} {
		if !strings.Contains(strings.Join(kinds, " "), k) {
			t.Errorf("events %v lack %s", kinds, k)
		}
	}
	for _, k := range kinds {
		if k == "deploy_failed/c1" || strings.HasSuffix(k, "/c3") {
			t.Errorf("event %s: c1 succeeded (its rollback is rolled_back), c3 never started", k)
		}
	}
}

// deadStore is the rig's store as a process that died sees it: once dead,
// nothing it would write commits (a step's call may still have been made:
// the repeat after a restart must not duplicate it).
type deadStore struct {
	store.Store
	dead atomic.Bool
}

var errDead = errors.New("the server died")

func (d *deadStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Store.InTx(ctx, fn)
}

func (d *deadStore) StageClaim(ctx context.Context, p store.StageClaimParams) (bool, error) {
	if d.dead.Load() {
		return false, errDead
	}
	return d.Store.StageClaim(ctx, p)
}

// TestWavesLocalCrashMidWaveResumesWithoutDuplicates: the server dies while
// wave 2 deploys (its new group recorded, its instances starting); a new
// engine on the same database and instances finishes the stage. Every
// environment gets exactly one group of v2 and one deploy start, and the
// stage succeeds.
func TestWavesLocalCrashMidWaveResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	r := newWaveRig(t, "c1", "c2", "c3")
	real := r.st
	if e := r.wait(r.run("v1", "v1", redBlackWaves(r.envs...)), time.Minute); e.Status != model.ExecutionSucceeded {
		t.Fatalf("v1: %s: %s", e.Status, e.Reason)
	}
	// The first server: an engine over a store that dies on cue.
	r.stop()
	ds := &deadStore{Store: real}
	targets := func(env model.Environment) (stage.Target, error) { return localTarget{r.prov}, nil }
	eng, err := engine.New(engine.Config{Store: ds, SingleNode: true, Logger: slog.New(slog.DiscardHandler),
		Runners: map[model.StageType]stage.Runner{model.StageDeploy: &stage.Deploy{Store: ds, Targets: targets}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pl := model.Pipeline{Name: "v2", Application: "shop", Stages: []model.StageSpec{{Name: "deploy", Timeout: model.Duration(2 * time.Minute), Deploy: ptrTo(redBlackWaves(r.envs...))}}}
	e, err := eng.StartPipeline(t.Context(), pl, map[string]string{"version": "v2"}, model.Trigger{Kind: "api", Actor: "test"}, engine.Guard{})
	if err != nil {
		t.Fatal(err)
	}
	// Die once wave 2 has recorded c2's new group.
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := real.ExecutionGet(t.Context(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Stages[0].Output) > 0 {
			out := waveOutputOf(t, got)
			if out.Wave == 2 && len(out.Environments) == 3 && out.Environments[1].ServerGroups["new"] != "" {
				break
			}
		}
		if got.Status.Terminal() || time.Now().After(deadline) {
			t.Fatalf("never caught wave 2 under way: %s %s", got.Status, stageSummary(got))
		}
		time.Sleep(2 * time.Millisecond)
	}
	ds.dead.Store(true)
	// A dead server does not wait for its jobs: give them a moment to find
	// the store gone, then take everything down.
	sctx, scancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_ = eng.Stop(sctx)
	scancel()
	cancel()
	before, _ := real.ExecutionGet(t.Context(), e.ID)
	t.Logf("died at: %s", before.Stages[0].Output)

	// The restarted server.
	r.start()
	done := r.wait(e.ID, time.Minute)
	if done.Status != model.ExecutionSucceeded {
		t.Fatalf("after the restart: %s: %s", done.Status, done.Reason)
	}
	if got := r.serving(); got["c1"] != "v2" || got["c2"] != "v2" || got["c3"] != "v2" {
		t.Errorf("serving %v, want v2 everywhere", got)
	}
	for _, env := range r.envs {
		groups, err := real.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "shop", Environment: env, IncludeDestroyed: true})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, g := range groups {
			if g.Version == "v2" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d server groups of v2, want exactly 1: %+v", env, n, groups)
		}
	}
	evs, err := real.EventList(t.Context(), store.EventListParams{Application: "shop", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	starts := map[string]int{}
	waves := 0
	for _, ev := range evs {
		switch {
		case ev.ExecutionID != e.ID:
		case ev.Kind == model.EventDeployStarted:
			starts[ev.Environment]++
		case ev.Kind == model.EventWaveStarted:
			waves++
		}
	}
	if starts["c1"] != 1 || starts["c2"] != 1 || starts["c3"] != 1 || waves != 3 {
		t.Errorf("deploy starts %v and %d wave starts, want one per environment and 3", starts, waves)
	}
}

func ptrTo[T any](v T) *T { return &v }
