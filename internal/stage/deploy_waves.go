package stage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// runWaves runs a deploy in waves (deploy.environments): each call makes
// one step of one environment's deploy, through Run as if that environment
// had a deploy stage of its own, and stores every environment's progress
// in the stage's state. What the call does is decideWave's.
func (d *Deploy) runWaves(ctx context.Context, in Input) Result {
	var ws waveState
	if err := DecodeState(in, &ws); err != nil {
		return Failf("%v", err)
	}
	undo := in.Spec.EffectiveOnFailure() == model.OnFailureRollback
	mv := decideWave(ws, in.Now, in.Canceled)
	switch mv.kind {
	case wavePlan:
		return d.planWaves(ctx, in)
	case waveStop:
		ws = stopWaves(ws, "canceled", true)
		return waveAgain(in, ws, in.Now)
	case waveSleep:
		return waveAgain(in, ws, mv.at)
	case waveNext:
		pause := in.Spec.Deploy.Waves
		var p model.Duration
		if ws.Current < len(pause) {
			p = pause[ws.Current].Pause
		}
		before := ws.Current
		ws, at := nextWave(ws, p.D(), in.Now)
		r := waveAgain(in, ws, at)
		if ws.Current != before {
			r = r.WithEvents(waveStarted(ws))
		}
		return r
	case waveSucceed:
		out := waveOutput(ws, fmt.Sprintf("%s takes all traffic in %s (%d waves)", ws.Version, strings.Join(envNames(ws), ", "), len(ws.Waves)))
		return Result{Outcome: Succeeded, State: mustJSON(ws), Output: mustJSON(out)}
	case waveFail:
		reason := waveFailReason(ws)
		return Result{Outcome: Failed, Reason: reason, State: mustJSON(ws), Output: mustJSON(waveOutput(ws, reason))}
	case waveRevert:
		return d.planRevert(ctx, in, ws, mv.env)
	}
	return d.stepEnv(ctx, in, ws, mv.env, undo)
}

// planWaves splits the environments into waves and starts the first.
func (d *Deploy) planWaves(ctx context.Context, in Input) Result {
	spec := in.Spec.Deploy
	app, err := d.Store.ApplicationGet(ctx, in.Execution.Application)
	if err != nil {
		return Failf("application %s: %v", in.Execution.Application, err)
	}
	for _, name := range spec.Environments {
		env, err := d.Store.EnvironmentGet(ctx, name)
		if err != nil {
			return Failf("environment %s: %v", name, err)
		}
		t, err := d.Targets(*env)
		if err != nil {
			return Failf("environment %s: %v", name, err)
		}
		if err := checkTarget(t, *app, *env); err != nil { // before any wave starts anything
			return Failf("%v", err)
		}
	}
	version := resolveVersion(in)
	if version == "" {
		return Failf("no version to deploy: pass --version (parameter \"version\") or set deploy.version in pipeline %s", in.Execution.Pipeline)
	}
	ws := planWaves(spec.Environments, spec.Waves, version)
	return waveAgain(in, ws, in.Now).WithEvents(waveStarted(ws))
}

// stepEnv makes one call of environment i's deploy and records it.
func (d *Deploy) stepEnv(ctx context.Context, in Input, ws waveState, i int, undo bool) Result {
	e := ws.Envs[i]
	sub := envInput(in, e, waveCallCanceled(ws, e))
	res := d.Run(ctx, sub)
	reverting := e.Phase == model.WaveEnvReverting
	ws = recordEnv(ws, i, res, in.Now, undo)
	r := waveAgain(in, ws, in.Now)
	r.Writes = res.Writes
	for _, ev := range res.Events {
		if reverting && ev.Kind == model.EventDeployFailed {
			continue // it succeeded; what happens to it now is a rollback
		}
		r.Events = append(r.Events, ev)
	}
	return r
}

// planRevert plans the rollback of environment i, whose deploy succeeded
// before the stage stopped: back to what it served before (PlanRevert).
// It reads the store and changes nothing; the next calls run the plan.
func (d *Deploy) planRevert(ctx context.Context, in Input, ws waveState, i int) Result {
	e := ws.Envs[i]
	st := e.deploy()
	list := func(history bool) ([]model.ServerGroup, error) {
		return d.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: in.Execution.Application, Environment: e.Name, IncludeDestroyed: history})
	}
	groups, err := list(false)
	var history []model.ServerGroup
	if err == nil {
		history, err = list(true)
	}
	if err != nil {
		// Not a transient of the stage: that would end it when it has no
		// retries left, with environments still to roll back. Look again.
		return waveAgain(in, ws, in.Now.Add(time.Second))
	}
	now := strategy.Cluster{ServerGroups: groups}
	plan, fresh, err := strategy.PlanRevert(st.Before, now, history, st.Created)
	return waveAgain(in, beginRevert(ws, i, plan, fresh, now, err), in.Now)
}

// envInput is the input of one environment's deploy: the stage as if it
// deployed to that environment alone, with that environment's state.
func envInput(in Input, e waveEnv, canceled bool) Input {
	spec := in.Spec
	dep := *spec.Deploy
	dep.Environment, dep.Environments, dep.Waves = e.Name, nil, nil
	if c := dep.Strategy.Canary; c != nil && c.OnInconclusive == "" {
		// No one can answer one environment of several: inconclusive is a no.
		cc := *c
		cc.OnInconclusive = "rollback"
		dep.Strategy.Canary = &cc
	}
	spec.Deploy = &dep
	st := *in.Stage
	st.State, st.Judgment = e.State, nil
	return Input{Execution: in.Execution, Stage: &st, Spec: spec, Now: in.Now, Canceled: canceled || in.Canceled, Part: e.Name}
}

// waveAgain stores the state and asks to be called at at.
func waveAgain(in Input, ws waveState, at time.Time) Result {
	r := Again(at, ws)
	r.Output = mustJSON(waveOutput(ws, ""))
	return r
}

func waveStarted(ws waveState) model.Event {
	var names []string
	for _, e := range ws.Envs {
		if e.Wave == ws.Current {
			names = append(names, e.Name)
		}
	}
	return model.Event{Kind: model.EventWaveStarted, Version: ws.Version,
		Detail: fmt.Sprintf("wave %d of %d: %s", ws.Current+1, len(ws.Waves), strings.Join(names, ", "))}
}

// waveFailReason says why the stage failed and where every environment it
// changed ended.
func waveFailReason(ws waveState) string {
	reason := ws.Stop
	var back, left, broken []string
	for _, e := range ws.Envs {
		switch e.Phase {
		case model.WaveEnvReverted:
			back = append(back, e.Name)
		case model.WaveEnvSucceeded:
			left = append(left, e.Name)
		case model.WaveEnvRevertFailed:
			broken = append(broken, e.Name+" ("+e.Summary+")")
		}
	}
	if len(back) > 0 {
		reason += "; rolled back " + strings.Join(back, ", ")
	}
	if len(left) > 0 {
		reason += "; left on the new version (onFailure is not rollback): " + strings.Join(left, ", ")
	}
	if len(broken) > 0 {
		reason += "; rolling back failed in " + strings.Join(broken, "; ") + ": fix the cause and run `gennaker rollback APP --env ENV` there"
	}
	return reason
}

func envNames(ws waveState) []string {
	out := make([]string, len(ws.Envs))
	for i, e := range ws.Envs {
		out[i] = e.Name
	}
	return out
}
