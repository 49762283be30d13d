package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// healthPoll is how often a wait-healthy step looks at its server group.
const healthPoll = 200 * time.Millisecond

// execute runs one call of a plan step: at most one call to the target,
// with the store changes it implies returned as writes. Every step is
// idempotent: running it again after a crash reaches the same state
// without duplicating anything. A step that must record something before
// it acts (create, destroy) takes two calls.
func (d *Deploy) execute(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	switch step.Action {
	case strategy.ActionCreate:
		return d.create(ctx, in, w, st, step)
	case strategy.ActionWaitHealthy:
		sg, err := d.group(ctx, w, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		waited := time.Duration(0)
		if st.StepStarted != nil {
			waited = in.Now.Sub(*st.StepStarted)
		}
		ok, err := w.target.CheckHealthy(ctx, *sg, waited)
		switch {
		case err != nil:
			return failStep("server group %s did not become healthy: %v", sg.Name, err)
		case !ok:
			return waitUntil(in.Now.Add(healthPoll), fmt.Sprintf("waiting for %s to become healthy (%s so far)", sg.Name, waited.Round(time.Second)))
		}
		return done()
	case strategy.ActionSetTraffic:
		return d.setTraffic(ctx, w, st, step)
	case strategy.ActionDisable:
		return d.setStatus(ctx, w, st, step.Ref, model.ServerGroupDisabled)
	case strategy.ActionEnable:
		return d.setStatus(ctx, w, st, step.Ref, model.ServerGroupUp)
	case strategy.ActionResize:
		sg, err := d.group(ctx, w, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		if err := w.target.Resize(ctx, *sg, w.app, step.Instances); err != nil {
			return failStep("resizing %s to %d instances: %v", sg.Name, step.Instances, err)
		}
		n := step.Instances
		return done(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Instances: &n}})
	case strategy.ActionDestroy:
		return d.destroy(ctx, w, st, step.Ref)
	case strategy.ActionPause:
		started := in.Now
		if st.StepStarted != nil {
			started = *st.StepStarted
		}
		return pauseOutcome(step, started, in.Now, in.Stage.Judgment)
	case strategy.ActionAnalysis:
		return d.analyze(ctx, in, w, st, step)
	case strategy.ActionMarkGood:
		return d.markGood(ctx, w, st, step.Ref)
	case strategy.ActionMarkRolledBack:
		sg, err := d.group(ctx, w, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		yes := true
		return done(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, RolledBack: &yes}})
	}
	return failStep("unknown plan step %q: this server is older than the plan; upgrade gennaker", step.Action)
}

// name resolves a plan Ref to a server group name.
func (st *deployState) name(ref strategy.Ref) string {
	if n, ok := st.Created[ref]; ok {
		return n
	}
	return string(ref)
}

func (d *Deploy) group(ctx context.Context, w world, st *deployState, ref strategy.Ref) (*model.ServerGroup, error) {
	name := st.name(ref)
	sg, err := d.Store.ServerGroupGet(ctx, w.env.Name, name)
	if err != nil {
		return nil, fmt.Errorf("server group %s (%s): %w", name, ref, err)
	}
	return sg, nil
}

// setTraffic routes the step's split (groups not named get 0) and records
// the weights that changed.
func (d *Deploy) setTraffic(ctx context.Context, w world, st *deployState, step strategy.Step) stepOutcome {
	want := map[string]int{}
	for ref, weight := range step.Weights {
		want[st.name(ref)] = weight
	}
	groups, err := d.cluster(ctx, w, false)
	if err != nil {
		return failStep("%v", err)
	}
	writes, err := d.reroute(ctx, w, groups, weightUpdates(groups, want)...)
	if err != nil {
		return failStep("%v", err)
	}
	out := routedDone(writes...)
	if step.Shortfall != "" {
		out.events = append(out.events, model.Event{Kind: model.EventTrafficApproximated, Environment: w.env.Name, Version: st.Version,
			Detail: step.Shortfall + " (traffic follows replica counts in this environment)"})
	}
	return out
}

// setStatus takes a group out of traffic (disabled, weight 0) or lets it
// take traffic again (up), and routes accordingly.
func (d *Deploy) setStatus(ctx context.Context, w world, st *deployState, ref strategy.Ref, status model.ServerGroupStatus) stepOutcome {
	sg, err := d.group(ctx, w, st, ref)
	if err != nil {
		return failStep("%v", err)
	}
	p := store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Status: &status}
	if status == model.ServerGroupDisabled {
		zero := 0
		p.Weight = &zero
	}
	writes, err := d.reroute(ctx, w, nil, p)
	if err != nil {
		return failStep("%v", err)
	}
	return routedDone(writes...)
}

// destroy stops a group in two calls when it is up: the first takes it out
// of traffic (and records it disabled), the next stops it (and records it
// destroyed). The record stays as history.
func (d *Deploy) destroy(ctx context.Context, w world, st *deployState, ref strategy.Ref) stepOutcome {
	sg, err := d.group(ctx, w, st, ref)
	if err != nil {
		return failStep("%v", err)
	}
	zero := 0
	move := nextDestroyMove(*sg)
	if st.GaveUp != "" && move == destroyUnroute { // stopPlan: the target refuses routes
		if sg.Weight > 0 {
			return failStep("%s takes %d%% of traffic: not stopping it while traffic cannot be routed away", sg.Name, sg.Weight)
		}
		move = destroyStop
	}
	switch move {
	case destroyDone:
		return done()
	case destroyUnroute:
		disabled := model.ServerGroupDisabled
		writes, err := d.reroute(ctx, w, nil, store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Weight: &zero, Status: &disabled})
		if err != nil {
			return failStep("%v", err)
		}
		out := again(fmt.Sprintf("took %s out of traffic; destroying it once traffic has left it", sg.Name), writes...)
		out.routed = true
		return out
	}
	if err := w.target.Destroy(ctx, *sg); err != nil {
		return failStep("destroying %s: %v", sg.Name, err)
	}
	destroyed := model.ServerGroupDestroyed
	return done(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Weight: &zero, Status: &destroyed}})
}

// markGood makes ref the last good (production) server group. A promoted
// canary is production now, so header routing to "canary" ends: it routes.
func (d *Deploy) markGood(ctx context.Context, w world, st *deployState, ref strategy.Ref) stepOutcome {
	history, err := d.cluster(ctx, w, true)
	if err != nil {
		return failStep("%v", err)
	}
	writes, err := d.reroute(ctx, w, history, lastGoodUpdates(history, w.env.Name, st.name(ref))...)
	if err != nil {
		return failStep("%v", err)
	}
	return routedDone(writes...)
}
