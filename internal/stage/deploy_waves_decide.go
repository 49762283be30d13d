package stage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// A deploy in waves (deploy.environments) is one stage whose state holds
// one deploy state per environment. Each call makes one step of one
// environment's deploy through the ordinary deploy runner, so the engine's
// claims, stored wake times and idempotent steps carry over unchanged: the
// wave stage is exactly as durable as a deploy. What a call does is decided
// here, by pure functions of the stored state.

// waveState is a deploy in waves' progress, stored after every call.
type waveState struct {
	// Waves are the environments of each wave (strategy.PlanWaves), fixed
	// at the first call.
	Waves [][]string `json:"waves"`
	// Current is the wave under way, from 0.
	Current int `json:"current"`
	// WaveDone is when the current wave succeeded, while its pause runs.
	WaveDone *time.Time `json:"waveDone,omitempty"`
	// Envs are the environments, in the order the stage lists them.
	Envs []waveEnv `json:"envs"`
	// Stop, once set, says why the stage stopped starting anything: a
	// failure or a cancel. Undo says whether every environment it changed
	// is rolled back (onFailure: rollback, and every cancel).
	Stop string `json:"stop,omitempty"`
	Undo bool   `json:"undo,omitempty"`
	// Version is the version the stage deploys.
	Version string `json:"version,omitempty"`
}

// waveEnv is one environment of a deploy in waves.
type waveEnv struct {
	Name  string             `json:"name"`
	Wave  int                `json:"wave"`
	Phase model.WaveEnvPhase `json:"phase"`
	// State is the environment's deploy state (deployState).
	State json.RawMessage `json:"state,omitempty"`
	// WakeAt is when its deploy wants its next call; nil: at once.
	WakeAt *time.Time `json:"wakeAt,omitempty"`
	// Errors counts transient errors in a row.
	Errors int `json:"errors,omitempty"`
	// Summary is the last thing its deploy said; Reason why it ended badly.
	Summary      string                  `json:"summary,omitempty"`
	ServerGroups map[strategy.Ref]string `json:"serverGroups,omitempty"`
}

func (e waveEnv) deploy() deployState {
	var st deployState
	if len(e.State) > 0 {
		_ = json.Unmarshal(e.State, &st) // written by this package only
	}
	return st
}

// waveMoveKind is what one call of a deploy in waves does.
type waveMoveKind int

const (
	// wavePlan: nothing planned yet: split the environments into waves.
	wavePlan waveMoveKind = iota + 1
	// waveStep: one call of environment Env's deploy (its own step or its
	// own abort).
	waveStep
	// waveRevert: environment Env finished its deploy but the stage
	// stopped with undo: plan its rollback (reads the store, acts on none).
	waveRevert
	// waveNext: the current wave succeeded (and its pause is over): start
	// the next.
	waveNext
	// waveSleep: nothing is due before At.
	waveSleep
	// waveSucceed: every wave succeeded.
	waveSucceed
	// waveFail: the stage stopped and nothing is left to undo.
	waveFail
	// waveStop: a cancel (or timeout) came: stop, and undo everything.
	waveStop
)

type waveMove struct {
	kind waveMoveKind
	env  int // index into Envs, for waveStep and waveRevert
	at   time.Time
}

// decideWave says what a call does, from the stored state, the time and
// whether the execution was canceled (or the stage timed out).
func decideWave(ws waveState, now time.Time, canceled bool) waveMove {
	if ws.Waves == nil {
		return waveMove{kind: wavePlan}
	}
	if canceled && (ws.Stop == "" || !ws.Undo) {
		return waveMove{kind: waveStop}
	}
	// The active environment that has waited longest goes first, so the
	// environments of a wave take turns and their waits overlap.
	best, found := -1, false
	var next time.Time
	for i, e := range ws.Envs {
		if ws.Stop != "" && ws.Undo && e.Phase == model.WaveEnvSucceeded {
			return waveMove{kind: waveRevert, env: i}
		}
		if !e.Phase.Active() {
			continue
		}
		var at time.Time
		if e.WakeAt != nil {
			at = *e.WakeAt
		}
		if !found || at.Before(next) {
			best, next, found = i, at, true
		}
	}
	if found && !next.After(now) {
		return waveMove{kind: waveStep, env: best}
	}
	if found {
		return waveMove{kind: waveSleep, at: next}
	}
	if ws.Stop != "" {
		return waveMove{kind: waveFail}
	}
	// Nothing active and nothing failed: the current wave succeeded.
	if ws.Current+1 >= len(ws.Waves) {
		return waveMove{kind: waveSucceed}
	}
	return waveMove{kind: waveNext}
}

// planWaves is the state of a deploy in waves before its first step: the
// environments split into waves, the first wave deploying.
func planWaves(envs []string, waves []model.Wave, version string) waveState {
	ws := waveState{Waves: strategy.PlanWaves(envs, waves), Version: version}
	for w, names := range ws.Waves {
		for _, n := range names {
			ws.Envs = append(ws.Envs, waveEnv{Name: n, Wave: w, Phase: model.WaveEnvPending})
		}
	}
	return startWave(ws, 0)
}

// startWave makes wave w the current one: its environments start deploying.
func startWave(ws waveState, w int) waveState {
	ws.Current, ws.WaveDone = w, nil
	ws.Envs = cloneEnvs(ws.Envs)
	for i := range ws.Envs {
		if ws.Envs[i].Wave == w && ws.Envs[i].Phase == model.WaveEnvPending {
			ws.Envs[i].Phase, ws.Envs[i].WakeAt = model.WaveEnvDeploying, nil
		}
	}
	return ws
}

// nextWave decides what follows a wave that succeeded: its pause
// (pause > 0, measured from the first call that saw it done), then the
// next wave. It returns the new state and when to call again.
func nextWave(ws waveState, pause time.Duration, now time.Time) (waveState, time.Time) {
	if pause > 0 {
		if ws.WaveDone == nil {
			t := now
			ws.WaveDone = &t
		}
		if until := ws.WaveDone.Add(pause); now.Before(until) {
			return ws, until
		}
	}
	return startWave(ws, ws.Current+1), now
}

// stopWaves stops the stage for reason: no new wave starts; with undo every
// environment it changed is rolled back. Environments whose wave has not
// started are skipped, and so are those that started but have not planned
// yet (they changed nothing: they wait for their lease).
func stopWaves(ws waveState, reason string, undo bool) waveState {
	if ws.Stop == "" {
		ws.Stop = reason
	}
	ws.Undo = ws.Undo || undo
	ws.Envs = cloneEnvs(ws.Envs)
	for i := range ws.Envs {
		e := &ws.Envs[i]
		switch {
		case e.Phase == model.WaveEnvPending:
			e.Phase, e.Summary = model.WaveEnvSkipped, "not started: "+ws.Stop
		case e.Phase == model.WaveEnvDeploying && e.deploy().Phase == "":
			e.Phase, e.Summary, e.WakeAt = model.WaveEnvSkipped, "not started: "+ws.Stop, nil
		case e.Phase == model.WaveEnvDeploying && ws.Undo:
			e.WakeAt = nil // its next call aborts it, before anything else
		}
	}
	return ws
}

// waveCallCanceled says whether an environment's deploy is called as
// canceled: while deploying after the stage stopped with undo, its own
// abort puts it back.
func waveCallCanceled(ws waveState, e waveEnv) bool {
	return e.Phase == model.WaveEnvDeploying && ws.Stop != "" && ws.Undo
}

// maxWaveErrors is how many transient errors in a row one environment may
// have before its deploy counts as failed.
const maxWaveErrors = 5

// recordEnv stores what one call of environment i's deploy returned, and
// stops the stage when that deploy failed. undo is the stage's onFailure
// policy (rollback).
func recordEnv(ws waveState, i int, res Result, now time.Time, undo bool) waveState {
	ws.Envs = cloneEnvs(ws.Envs)
	e := &ws.Envs[i]
	if res.State != nil {
		e.State = res.State
	}
	if len(res.Output) > 0 {
		var out deployOutput
		if json.Unmarshal(res.Output, &out) == nil {
			if out.Summary != "" {
				e.Summary = out.Summary
			}
			if len(out.ServerGroups) > 0 {
				e.ServerGroups = out.ServerGroups
			}
		}
	}
	if res.Outcome != Transient {
		e.Errors = 0
	}
	wake := now // called at once, it waits behind the others that are due
	e.WakeAt = &wake
	st := e.deploy()
	switch res.Outcome {
	case Continue:
		if res.At.After(now) {
			at := res.At
			e.WakeAt = &at
		}
		return ws
	case Transient:
		e.Errors++
		if e.Errors < maxWaveErrors {
			at := now.Add(time.Second << min(e.Errors-1, 6))
			e.WakeAt = &at
			return ws
		}
		return imposedFailure(ws, i, fmt.Sprintf("failed after %d attempts: %s", e.Errors, res.Reason), undo)
	case WaitForPerson:
		if st.Phase == "" && st.SLOGate != nil && res.At.After(now) {
			// The environment's error-budget policy holds its deploy
			// before it changes anything (deploy_slo.go): it waits and
			// looks again at res.At, while the others go on. No one can
			// answer for one environment of several: a fix (--fix) passes
			// the policy, and an override needs a sloGate stage.
			at := res.At
			e.WakeAt = &at
			if res.Reason != "" {
				e.Summary = res.Reason
			}
			return ws
		}
		return imposedFailure(ws, i, "its deploy waits for a person, which a deploy in waves cannot do ("+res.Reason+"): "+
			"put a judgment stage before the stage, or give pauses a duration", undo)
	case Succeeded:
		if e.Phase == model.WaveEnvDeploying {
			e.Phase = model.WaveEnvSucceeded
			return ws
		}
	}
	// Failed: its deploy ended; what that means depends on why it was called.
	if res.Reason != "" {
		e.Summary = res.Reason
	}
	switch {
	case e.Phase == model.WaveEnvReverting || (e.Phase == model.WaveEnvDeploying && ws.Stop != ""):
		e.Phase = undoneAs(st)
		switch e.Phase {
		case model.WaveEnvReverted:
			e.Summary = "rolled back: what served before this stage serves again"
		case model.WaveEnvSkipped:
			e.Summary = "not started: the stage stopped first"
		}
	default:
		e.Phase = model.WaveEnvFailed
		ws = stopWaves(ws, fmt.Sprintf("%s failed in wave %d: %s", e.Name, e.Wave+1, res.Reason), undo)
	}
	return ws
}

// imposedFailure fails environment i for a reason its deploy did not end
// on (it still runs its plan): the stage stops and, with undo, that deploy
// is called canceled next so that its own abort puts it back.
func imposedFailure(ws waveState, i int, reason string, undo bool) waveState {
	e := &ws.Envs[i]
	e.Summary = reason
	stop := fmt.Sprintf("%s failed in wave %d: %s", e.Name, e.Wave+1, reason)
	if e.Phase == model.WaveEnvDeploying && e.deploy().Phase == phaseRun && undo {
		return stopWaves(ws, stop, true)
	}
	if e.Phase == model.WaveEnvReverting {
		e.Phase = model.WaveEnvRevertFailed
		return ws
	}
	e.Phase = model.WaveEnvFailed
	return stopWaves(ws, stop, undo)
}

// undoneAs is where an environment whose deploy was undone (a revert or
// its own abort) ended, from its deploy state.
func undoneAs(st deployState) model.WaveEnvPhase {
	switch {
	case st.Phase == "":
		return model.WaveEnvSkipped
	case st.Phase == phaseAbort && st.Abort != nil && st.AbortNext >= len(st.Abort.Steps):
		return model.WaveEnvReverted
	case st.Phase == phaseAbort:
		return model.WaveEnvRevertFailed
	}
	return model.WaveEnvFailed // left as it is (onFailure fail or continue)
}

// revertState is the deploy state that rolls back an environment whose
// deploy succeeded: the revert plan as its abort. A fresh plan (one that
// starts a group again, strategy.PlanRevert) gets references of its own, so
// RefNew names the group it starts, not the deploy's.
func revertState(st deployState, plan strategy.Plan, fresh bool, now strategy.Cluster, reason string) deployState {
	if fresh {
		st = deployState{Environment: st.Environment, Version: st.Version, Before: now, Plan: st.Plan, Next: st.Next}
	}
	st = startAbort(st, reason)
	st.Created = cloneRefs(st.Created)
	st.Abort, st.AbortNext = &plan, 0
	return st
}

// beginRevert stores environment i's revert plan (PlanRevert's answer):
// from now on its deploy runs the plan as its abort. A revert that cannot
// be planned leaves the environment as it is, for a person.
func beginRevert(ws waveState, i int, plan strategy.Plan, fresh bool, now strategy.Cluster, err error) waveState {
	ws.Envs = cloneEnvs(ws.Envs)
	e := &ws.Envs[i]
	if err != nil {
		e.Phase, e.Summary = model.WaveEnvRevertFailed, fmt.Sprintf("cannot roll back %s: %v", e.Name, err)
		return ws
	}
	e.Phase, e.WakeAt = model.WaveEnvReverting, nil
	e.State = mustJSON(revertState(e.deploy(), plan, fresh, now, "stage stopped: "+ws.Stop))
	e.Summary = fmt.Sprintf("rolling back: %d steps", len(plan.Steps))
	return ws
}

// waveOutput is what people see of a deploy in waves.
func waveOutput(ws waveState, summary string) model.WaveOutput {
	out := model.WaveOutput{Summary: summary, Version: ws.Version, Wave: ws.Current + 1, Waves: len(ws.Waves)}
	for _, e := range ws.Envs {
		eo := model.WaveEnvOutput{Name: e.Name, Wave: e.Wave + 1, Phase: e.Phase, Summary: e.Summary, Manifests: e.deploy().Manifests}
		if len(e.ServerGroups) > 0 {
			eo.ServerGroups = map[string]string{}
			for r, n := range e.ServerGroups {
				eo.ServerGroups[string(r)] = n
			}
		}
		out.Environments = append(out.Environments, eo)
	}
	if out.Summary == "" {
		out.Summary = waveSummary(ws)
	}
	return out
}

// waveSummary says in one line where the stage is.
func waveSummary(ws waveState) string {
	count := map[model.WaveEnvPhase][]string{}
	for _, e := range ws.Envs {
		count[e.Phase] = append(count[e.Phase], e.Name)
	}
	if ws.Stop != "" {
		parts := []string{"stopped: " + ws.Stop}
		for _, p := range []model.WaveEnvPhase{model.WaveEnvReverting, model.WaveEnvReverted, model.WaveEnvRevertFailed, model.WaveEnvSucceeded} {
			if names := count[p]; len(names) > 0 {
				parts = append(parts, string(p)+" "+strings.Join(names, ", "))
			}
		}
		return strings.Join(parts, "; ")
	}
	var wave []string
	for _, e := range ws.Envs {
		if e.Wave == ws.Current {
			wave = append(wave, e.Name)
		}
	}
	if ws.WaveDone != nil {
		return fmt.Sprintf("wave %d of %d succeeded (%s); pausing before the next", ws.Current+1, len(ws.Waves), strings.Join(wave, ", "))
	}
	return fmt.Sprintf("wave %d of %d: deploying to %s", ws.Current+1, len(ws.Waves), strings.Join(wave, ", "))
}

func cloneEnvs(envs []waveEnv) []waveEnv { return append([]waveEnv(nil), envs...) }

func cloneRefs(m map[strategy.Ref]string) map[strategy.Ref]string {
	out := make(map[strategy.Ref]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
