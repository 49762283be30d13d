package stage

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
)

// sloCheck runs the environment's error-budget deploy policy
// (Environment.SLOPolicy) before the deploy changes anything: it returns
// go=true with the look to plan with (nil when there is no policy), or the
// result that holds the stage (waiting for a person, looking again every
// SLORecheck, like a sloGate stage) or fails it (rejected while held).
// Rollback stages and executions marked as fixes pass (slo.Gate).
func (d *Deploy) sloCheck(ctx context.Context, in Input, w world, st deployState) (Result, *sloStep, bool) {
	if d.SLOs == nil || w.env.SLOPolicy == nil {
		return Result{}, nil, true
	}
	if in.Canceled {
		return Failf("canceled before it started changing %s in %s", w.app.Name, w.env.Name), nil, false
	}
	var h sloHold
	if st.SLOGate != nil {
		h = *st.SLOGate
	}
	dec, _, err := sloDecide(ctx, d.SLOs, in, w.env.Name, nil, d.Rollback, d.SLOMaxAge)
	if err != nil {
		dec = slo.Decision{Hold: true, Reasons: []string{"cannot read the error budget: " + err.Error()}}
	}
	look := sloLook(dec, h, in.Stage.Judgment, in.Now)
	if look.Go {
		return Result{}, &look, true
	}
	st.SLOGate, st.SLOGateOutput = &look.Hold, &look.Output
	var r Result
	if look.Reject != "" {
		r = Failf("%s", look.Reject)
	} else {
		at := in.Now.Add(SLORecheck)
		if dec.Freeze != "" && dec.FreezeUntil.After(in.Now) && dec.FreezeUntil.Before(at) {
			at = dec.FreezeUntil
		}
		r = Result{Outcome: WaitForPerson, At: at, Reason: look.Output.Summary}
	}
	r.Output = d.output(st, w, look.Output.Summary)
	r.ClearJudgment = look.Consumed
	return r.WithState(st), nil, false
}

// narrowed is the deploy's strategy as the policy's look leaves it: a
// canary narrowed when the budget is low (slo.NarrowCanary), with the
// changes recorded in the look's output.
func narrowed(s model.Strategy, look *sloStep) model.Strategy {
	if look == nil || look.Hold.Decision.Narrow == nil || s.Canary == nil {
		return s
	}
	n := look.Hold.Decision.Narrow
	c, changes := slo.NarrowCanary(*s.Canary, *n)
	if len(changes) == 0 {
		return s
	}
	s.Canary = &c
	look.Output.Narrowed = append([]string{"narrowed: " + n.Reason}, changes...)
	return s
}
