package stage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// planAbort plans the undoing of a failed or canceled deploy from the
// cluster as committed now: traffic back to what served before, and what
// this deploy created removed. A failed rollback plans nothing: it leaves
// traffic where it is, and its reason says what to do.
func (d *Deploy) planAbort(ctx context.Context, in Input, w world, st deployState) Result {
	abort := strategy.Plan{}
	if !d.Rollback {
		groups, err := d.cluster(ctx, w, false)
		if err != nil {
			return Retry(err).WithState(st)
		}
		abort = strategy.PlanAbort(st.Before, strategy.Cluster{ServerGroups: groups}, st.Created)
	}
	st.Abort, st.AbortNext = &abort, 0
	r := Again(in.Now, st)
	r.Output = d.output(st, w, "rolling back: "+st.FailReason)
	return r
}

// abortStep executes the abort plan's next step.
func (d *Deploy) abortStep(ctx context.Context, in Input, w world, st deployState) Result {
	step := st.Abort.Steps[st.AbortNext]
	if st.StepStarted == nil { // a wait-healthy measures its wait from here
		now := in.Now
		st.StepStarted = &now
	}
	out := d.execute(ctx, in, w, &st, step)
	st, next, at := afterAbortStep(st, out, in.Now)
	if out.routed && (next == abortNext || next == abortWait) {
		now := in.Now
		st.RouteSent = &now
	}
	var r Result
	switch next {
	case abortGiveUp:
		reason := fmt.Sprintf("%s; rolling back failed too at %q: %s: fix the cause and run `gennaker rollback %s --env %s`", st.FailReason, step.Why, out.reason, w.app.Name, w.env.Name)
		if stop := d.stopPlan(ctx, w, st); st.GaveUp == "" && stop != nil {
			// Stop what this deploy started and nothing routes to, rather
			// than leave its instances running (or crash-looping) behind.
			st.GaveUp = reason
			st.Abort, st.AbortNext, st.AbortErrors, st.StepStarted = stop, 0, 0, nil
			r = Again(in.Now, st)
			r.Output = d.output(st, w, "rolling back failed: stopping the server groups this deploy started")
			break
		}
		r = Result{Outcome: Failed, Reason: reason, State: mustJSON(st)}
		r = r.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: reason})
	case abortNext:
		r = Again(at, st)
		r.Output = d.output(st, w, "rolling back: "+st.FailReason)
	default:
		r = Again(at, st)
	}
	return r.WithWrites(out.writes...)
}

// stopPlan is the plan that stops the server groups this deploy created
// that are not destroyed and take no traffic, once the abort plan cannot
// go on (a route the target refuses); nil when there are none, or they
// cannot be read. Their destroy steps skip routing (destroy, GaveUp).
func (d *Deploy) stopPlan(ctx context.Context, w world, st deployState) *strategy.Plan {
	var p strategy.Plan
	for _, name := range st.Created {
		if name == "" {
			continue
		}
		sg, err := d.Store.ServerGroupGet(ctx, w.env.Name, name)
		if err != nil || sg.Status == model.ServerGroupDestroyed || sg.Weight > 0 {
			continue
		}
		p.Steps = append(p.Steps, strategy.Step{Action: strategy.ActionDestroy, Ref: strategy.Ref(name),
			Why: fmt.Sprintf("rolling back failed: stop %s, which this deploy started and which takes no traffic", name)})
	}
	if len(p.Steps) == 0 {
		return nil
	}
	slices.SortFunc(p.Steps, func(a, b strategy.Step) int { return strings.Compare(string(a.Ref), string(b.Ref)) })
	return &p
}

// abortEnd fails the stage once its abort plan has run.
func (d *Deploy) abortEnd(w world, st deployState) Result {
	if st.GaveUp != "" {
		var stopped []string
		for _, s := range st.Abort.Steps {
			stopped = append(stopped, string(s.Ref))
		}
		reason := fmt.Sprintf("%s; stopped %s, which this deploy had started", st.GaveUp, strings.Join(stopped, ", "))
		r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
		return r.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: reason})
	}
	reason, rolledBack := abortedReason(st)
	evs := []model.Event{{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: st.FailReason}}
	if rolledBack {
		evs = append(evs, model.Event{Kind: model.EventRolledBack, Environment: w.env.Name, Version: servingVersion(st.Before), FromVersion: st.Version, Detail: "automatic: " + st.FailReason})
	}
	r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
	return r.WithEvents(evs...)
}
