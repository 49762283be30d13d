package stage

import (
	"context"
	"fmt"

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

// abortEnd fails the stage once its abort plan has run.
func (d *Deploy) abortEnd(w world, st deployState) Result {
	reason, rolledBack := abortedReason(st)
	evs := []model.Event{{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: st.FailReason}}
	if rolledBack {
		evs = append(evs, model.Event{Kind: model.EventRolledBack, Environment: w.env.Name, Version: servingVersion(st.Before), FromVersion: st.Version, Detail: "automatic: " + st.FailReason})
	}
	r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
	return r.WithEvents(evs...)
}
