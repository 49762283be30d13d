package stage

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// simDeploy is a deploy of one environment, reduced to the moves of its
// real state machine (nextMove): it plans, makes Steps steps (failing at
// FailAt when set), and when canceled or failed, aborts in two steps. It
// is a pure function of the stored state, as the real runner is of the
// state and the cluster, so the wave machinery can be driven without I/O.
type simDeploy struct {
	steps  int
	failAt int // 1-based step that fails; 0: none
}

func (s simDeploy) run(state json.RawMessage, canceled bool, now time.Time) Result {
	var st deployState
	if len(state) > 0 {
		_ = json.Unmarshal(state, &st)
	}
	switch nextMove(st, canceled) {
	case movePlan:
		if canceled {
			return Failf("canceled before it started")
		}
		st = deployState{Phase: phaseRun, Created: map[strategy.Ref]string{strategy.RefNew: "new"}}
		for range s.steps {
			st.Plan.Steps = append(st.Plan.Steps, strategy.Step{Action: strategy.ActionWaitHealthy, Ref: strategy.RefNew})
		}
		return Again(now, st)
	case moveStartAbort:
		return Again(now, startAbort(st, "canceled"))
	case movePlanAbort:
		abort := strategy.Plan{Steps: []strategy.Step{{Action: strategy.ActionSetTraffic}, {Action: strategy.ActionDestroy}}}
		st.Abort, st.AbortNext = &abort, 0
		return Again(now, st)
	case moveAbortStep:
		st.AbortNext++
		return Again(now.Add(time.Second), st)
	case moveAbortEnd:
		return Result{Outcome: Failed, Reason: st.FailReason + "; rolled back", State: mustJSON(st)}
	case moveSucceed:
		return Result{Outcome: Succeeded, State: mustJSON(st)}
	}
	if s.failAt == st.Next+1 {
		return Again(now, startAbort(st, "step failed"))
	}
	st.Next++
	return Again(now.Add(200*time.Millisecond), st)
}

// simWaves drives a deploy in waves to its end with the pure functions
// the runner uses, and records every deploy call per environment.
type simWaves struct {
	deploys map[string]simDeploy
	calls   map[string]int
	// started records, when each environment's first call was made, which
	// environments had succeeded by then.
	started map[string][]string
	log     []string
}

func (sim *simWaves) run(t *testing.T, envs []string, waves []model.Wave, undo, cancelAt int) (waveState, Outcome) {
	t.Helper()
	sim.calls, sim.started = map[string]int{}, map[string][]string{}
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	var ws waveState
	for call := 0; call < 10000; call++ {
		canceled := cancelAt > 0 && call >= cancelAt
		mv := decideWave(ws, now, canceled)
		// Deciding is pure: asked again, the same state gives the same move.
		if again := decideWave(ws, now, canceled); again != mv {
			t.Fatalf("decideWave is not repeatable: %+v then %+v", mv, again)
		}
		switch mv.kind {
		case wavePlan:
			ws = planWaves(envs, waves, "v2")
		case waveStop:
			ws = stopWaves(ws, "canceled", true)
		case waveSleep:
			now = mv.at
		case waveNext:
			ws, _ = nextWave(ws, 0, now)
		case waveSucceed:
			return ws, Succeeded
		case waveFail:
			return ws, Failed
		case waveRevert:
			plan := strategy.Plan{Steps: []strategy.Step{{Action: strategy.ActionEnable}, {Action: strategy.ActionSetTraffic}, {Action: strategy.ActionDestroy}}}
			ws = beginRevert(ws, mv.env, plan, false, strategy.Cluster{}, nil)
			sim.log = append(sim.log, "revert "+ws.Envs[mv.env].Name)
		case waveStep:
			e := ws.Envs[mv.env]
			if sim.calls[e.Name] == 0 {
				for _, o := range ws.Envs {
					if o.Phase == model.WaveEnvSucceeded {
						sim.started[e.Name] = append(sim.started[e.Name], o.Name)
					}
				}
			}
			sim.calls[e.Name]++
			res := sim.deploys[e.Name].run(e.State, waveCallCanceled(ws, e) || canceled, now)
			before := ws
			ws = recordEnv(ws, mv.env, res, now, undo == 1)
			// Recording is pure too: the same result on the same state
			// (a step made again after a crash) stores the same state.
			if again := recordEnv(before, mv.env, res, now, undo == 1); !reflect.DeepEqual(again, ws) {
				t.Fatalf("recordEnv is not repeatable")
			}
		}
	}
	t.Fatal("the deploy in waves did not end")
	return ws, 0
}

func phases(ws waveState) map[string]model.WaveEnvPhase {
	out := map[string]model.WaveEnvPhase{}
	for _, e := range ws.Envs {
		out[e.Name] = e.Phase
	}
	return out
}

func TestWavesThreeEnvironmentsOneFailingInWaveTwo(t *testing.T) {
	t.Parallel()
	envs := []string{"eu", "us", "ap", "sa"}
	sim := &simWaves{deploys: map[string]simDeploy{
		"eu": {steps: 3}, "us": {steps: 3}, "ap": {steps: 5, failAt: 4}, "sa": {steps: 3},
	}}
	// Wave 1: eu; wave 2: us and ap (50%); wave 3: sa.
	ws, out := sim.run(t, envs, []model.Wave{{Count: 1}, {Percent: 50}, {Remaining: true}}, 1, 0)
	if out != Failed {
		t.Fatalf("outcome %s, want failed", outcomeName(out))
	}
	want := map[string]model.WaveEnvPhase{
		"eu": model.WaveEnvReverted, // finished wave 1: rolled back by the stage
		"us": model.WaveEnvReverted, // finished in wave 2 (or was aborted mid-way): back
		"ap": model.WaveEnvFailed,   // failed, and its own deploy undid it
		"sa": model.WaveEnvSkipped,  // wave 3 never started
	}
	if got := phases(ws); !reflect.DeepEqual(got, want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	if sim.calls["sa"] != 0 {
		t.Errorf("sa was called %d times: wave 3 must not start after wave 2 failed", sim.calls["sa"])
	}
	if !slices.Contains(sim.log, "revert eu") {
		t.Errorf("eu was not reverted: %v", sim.log)
	}
	if !slices.Equal(sim.started["us"], []string{"eu"}) || !slices.Equal(sim.started["ap"], []string{"eu"}) {
		t.Errorf("wave 2 started with %v / %v succeeded, want [eu]", sim.started["us"], sim.started["ap"])
	}
}

func TestWavesAllSucceed(t *testing.T) {
	t.Parallel()
	sim := &simWaves{deploys: map[string]simDeploy{"a": {steps: 2}, "b": {steps: 4}, "c": {steps: 1}}}
	ws, out := sim.run(t, []string{"a", "b", "c"}, []model.Wave{{Count: 1}, {Percent: 25}, {Remaining: true}}, 1, 0)
	if out != Succeeded {
		t.Fatalf("outcome %s, want succeeded", outcomeName(out))
	}
	for _, e := range ws.Envs {
		if e.Phase != model.WaveEnvSucceeded {
			t.Errorf("%s is %s, want succeeded", e.Name, e.Phase)
		}
	}
	if !slices.Equal(sim.started["b"], []string{"a"}) || !slices.Equal(sim.started["c"], []string{"a", "b"}) {
		t.Errorf("waves did not wait for the one before: b after %v, c after %v", sim.started["b"], sim.started["c"])
	}
	if len(sim.log) > 0 {
		t.Errorf("reverted %v after a success", sim.log)
	}
}

func TestWavesOnFailureFailLeavesTheDoneOnes(t *testing.T) {
	t.Parallel()
	sim := &simWaves{deploys: map[string]simDeploy{"a": {steps: 2}, "b": {steps: 3, failAt: 2}, "c": {steps: 1}}}
	ws, out := sim.run(t, []string{"a", "b", "c"}, nil, 0, 0)
	if out != Failed {
		t.Fatalf("outcome %s, want failed", outcomeName(out))
	}
	want := map[string]model.WaveEnvPhase{"a": model.WaveEnvSucceeded, "b": model.WaveEnvFailed, "c": model.WaveEnvSkipped}
	if got := phases(ws); !reflect.DeepEqual(got, want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	if r := waveFailReason(ws); !contains(r, "left on the new version") {
		t.Errorf("reason %q does not say what was left", r)
	}
}

// TestWavesProperties: for random environments, waves, deploy lengths and
// failures, a deploy in waves ends; it succeeds exactly when no deploy
// failed; a wave starts only when every environment of the waves before
// succeeded; on a failure with undo every environment that had started is
// back (reverted, or its own deploy undid it) and none that had not
// started was called.
func TestWavesProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	for run := range 2000 {
		n := 1 + rng.IntN(7)
		envs := make([]string, n)
		sim := &simWaves{deploys: map[string]simDeploy{}}
		anyFail := false
		for i := range envs {
			envs[i] = fmt.Sprintf("e%d", i)
			d := simDeploy{steps: 1 + rng.IntN(4)}
			if rng.IntN(6) == 0 {
				d.failAt = 1 + rng.IntN(d.steps)
				anyFail = true
			}
			sim.deploys[envs[i]] = d
		}
		var waves []model.Wave
		for range rng.IntN(4) {
			waves = append(waves, []model.Wave{{Count: 1 + rng.IntN(3)}, {Percent: 1 + rng.IntN(100)}}[rng.IntN(2)])
		}
		cancelAt := 0
		if rng.IntN(8) == 0 {
			cancelAt = 1 + rng.IntN(20)
		}
		ws, out := sim.run(t, envs, waves, 1, cancelAt)
		ctx := fmt.Sprintf("run %d: envs %d, waves %+v, deploys %+v, cancel at %d: %v", run, n, waves, sim.deploys, cancelAt, phases(ws))
		if out == Succeeded && (anyFail && ws.Stop != "") {
			t.Fatalf("%s: succeeded after a stop", ctx)
		}
		if out == Succeeded {
			for _, e := range ws.Envs {
				if e.Phase != model.WaveEnvSucceeded {
					t.Fatalf("%s: succeeded with %s %s", ctx, e.Name, e.Phase)
				}
			}
			continue
		}
		for _, e := range ws.Envs {
			// Wave order: an environment's first call came after every
			// environment of the earlier waves had succeeded.
			var earlier []string
			for _, o := range ws.Envs {
				if o.Wave < e.Wave {
					earlier = append(earlier, o.Name)
				}
			}
			if sim.calls[e.Name] > 0 && !subset(earlier, sim.started[e.Name]) {
				t.Fatalf("%s: %s started before %v succeeded (had %v)", ctx, e.Name, earlier, sim.started[e.Name])
			}
			switch e.Phase {
			case model.WaveEnvSucceeded, model.WaveEnvDeploying, model.WaveEnvReverting, model.WaveEnvPending:
				t.Fatalf("%s: the stage failed with %s still %s", ctx, e.Name, e.Phase)
			case model.WaveEnvSkipped:
				if st := e.deploy(); st.Phase != "" {
					t.Fatalf("%s: %s skipped after it had changed things", ctx, e.Name)
				}
			case model.WaveEnvReverted, model.WaveEnvFailed:
				if st := e.deploy(); st.Phase != phaseAbort || st.AbortNext != len(st.Abort.Steps) {
					t.Fatalf("%s: %s is %s but its rollback did not run to the end", ctx, e.Name, e.Phase)
				}
			}
		}
	}
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestDecideWave(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	later := t0.Add(time.Minute)
	run := mustJSON(deployState{Phase: phaseRun})
	env := func(name string, wave int, p model.WaveEnvPhase, wake *time.Time) waveEnv {
		return waveEnv{Name: name, Wave: wave, Phase: p, WakeAt: wake, State: run}
	}
	waves := [][]string{{"a"}, {"b", "c"}}
	for _, tc := range []struct {
		name     string
		ws       waveState
		canceled bool
		want     waveMove
	}{
		{"nothing planned", waveState{}, false, waveMove{kind: wavePlan}},
		{"the due environment steps", waveState{Waves: waves, Envs: []waveEnv{env("a", 0, model.WaveEnvDeploying, nil)}}, false, waveMove{kind: waveStep, env: 0}},
		{"the one waiting longest goes first", waveState{Waves: waves, Current: 1, Envs: []waveEnv{
			env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvDeploying, &t0), env("c", 1, model.WaveEnvDeploying, nil)}}, false, waveMove{kind: waveStep, env: 2}},
		{"nothing due: sleep until the first", waveState{Waves: waves, Current: 1, Envs: []waveEnv{
			env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvDeploying, &later)}}, false, waveMove{kind: waveSleep, at: later}},
		{"wave done: next", waveState{Waves: waves, Envs: []waveEnv{env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvPending, nil)}}, false, waveMove{kind: waveNext}},
		{"last wave done: succeed", waveState{Waves: waves, Current: 1, Envs: []waveEnv{env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvSucceeded, nil)}}, false, waveMove{kind: waveSucceed}},
		{"canceled: stop", waveState{Waves: waves, Envs: []waveEnv{env("a", 0, model.WaveEnvDeploying, nil)}}, true, waveMove{kind: waveStop}},
		{"stopped with undo: a finished environment is reverted first", waveState{Waves: waves, Current: 1, Stop: "b failed", Undo: true, Envs: []waveEnv{
			env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvDeploying, nil)}}, false, waveMove{kind: waveRevert, env: 0}},
		{"stopped without undo: the finished stay, the stage fails", waveState{Waves: waves, Current: 1, Stop: "b failed", Envs: []waveEnv{
			env("a", 0, model.WaveEnvSucceeded, nil), env("b", 1, model.WaveEnvFailed, nil)}}, false, waveMove{kind: waveFail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := decideWave(tc.ws, t0, tc.canceled); got != tc.want {
				t.Errorf("decideWave = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// An environment whose error-budget policy holds its deploy waits in its
// wave and is looked at again when the policy says (the others go on); a
// deploy that waits for a person for any other reason (a pause without a
// duration) fails the stage, since no one can answer for one environment.
func TestRecordEnvHeldByTheErrorBudget(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	ws := planWaves([]string{"eu", "us"}, []model.Wave{{Remaining: true}}, "v2")
	held, _ := json.Marshal(deployState{SLOGate: &sloHold{HeldSince: &now}})
	recheck := now.Add(SLORecheck)
	got := recordEnv(ws, 0, Result{Outcome: WaitForPerson, At: recheck, Reason: "held: budget 3% left", State: held}, now, true)
	e := got.Envs[0]
	if e.Phase != model.WaveEnvDeploying || e.WakeAt == nil || !e.WakeAt.Equal(recheck) || e.Summary != "held: budget 3% left" || got.Stop != "" {
		t.Fatalf("held environment: phase %s, wake %v, summary %q, stop %q; want deploying, looked at again at %s", e.Phase, e.WakeAt, e.Summary, got.Stop, recheck)
	}
	if got.Envs[1].Phase != ws.Envs[1].Phase {
		t.Fatalf("the other environment moved: %s", got.Envs[1].Phase)
	}

	paused, _ := json.Marshal(deployState{Phase: "run"})
	got = recordEnv(ws, 0, Result{Outcome: WaitForPerson, Reason: "paused", State: paused}, now, true)
	if got.Stop == "" || !strings.Contains(got.Stop, "waits for a person") {
		t.Fatalf("a paused environment's deploy: stop %q, want the stage stopped", got.Stop)
	}
}
