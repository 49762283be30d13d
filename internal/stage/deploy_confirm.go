package stage

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// confirmTraffic makes one look whether the split a step routed has reached
// the groups it names (Target.ConfirmTraffic), before the deploy goes on to
// anything that would hurt if it had not: destroying or shrinking a group
// that still takes requests, or saying the new version takes all traffic.
// It looks again every trafficConfirmPoll; past trafficConfirmTimeout the
// step fails with what is stale (while aborting, the stage fails and
// leaves the rest to a person: destroying the new group is not safe).
func (d *Deploy) confirmTraffic(ctx context.Context, in Input, w world, st deployState) Result {
	groups, err := d.cluster(ctx, w, false)
	if err != nil {
		return Retry(err).WithState(st)
	}
	reached, detail, err := w.target.ConfirmTraffic(ctx, w.app, w.env, routesFor(groups))
	verdict, why := decideConfirm(reached, detail, err, in.Now.Sub(*st.RouteSent))
	switch verdict {
	case confirmReached:
		st.RouteSent = nil
		r := Again(in.Now, st)
		r.Output = d.output(st, w, "")
		return r
	case confirmWait:
		r := Again(in.Now.Add(trafficConfirmPoll), st)
		r.Output = d.output(st, w, why)
		return r
	}
	st.RouteSent = nil
	if st.Phase != phaseAbort {
		return d.afterOutcome(in, w, st, failStep("%s", why))
	}
	reason := fmt.Sprintf("%s; rolling back failed too: %s: nothing more was destroyed; once traffic reaches the routed groups, run `gennaker rollback %s --env %s`",
		st.FailReason, why, w.app.Name, w.env.Name)
	r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
	return r.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: reason})
}
