package stage

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/slo"
)

// SLOGate holds a pipeline while the application's SLOs are short of error
// budget, burn fast, or a freeze window of the environment's sloPolicy is
// on (slo.Gate decides). While held the stage waits for a person, as a
// judgment does, and looks again every SLORecheck: it succeeds once the
// budget recovers, an approver overrides it with a reason (approve with a
// comment; engine.Judge refuses one without: CheckJudgment), or it fails on
// a reject or at sloGate.timeout. Its state stores when the hold began and
// the override, so a restart loses neither.
type SLOGate struct {
	SLOs SLOReader
	// MaxAge is how old an SLO's status may be before it counts as
	// unknown: three evaluation intervals (0: slo.DefaultStatusMaxAge).
	MaxAge time.Duration
}

var _ Runner = (*SLOGate)(nil)

// Run implements Runner.
func (g *SLOGate) Run(ctx context.Context, in Input) Result {
	if in.Canceled {
		return Failf("canceled while checking the error budget")
	}
	spec := in.Spec.SLOGate
	if spec == nil {
		return Failf("stage %s has no sloGate block", in.Stage.Name)
	}
	if g.SLOs == nil {
		return Failf("this server reads no SLOs (a gennaker bug: the sloGate runner has no store)")
	}
	var h sloHold
	if err := DecodeState(in, &h); err != nil {
		return Failf("%v", err)
	}
	d, _, err := sloDecide(ctx, g.SLOs, in, spec.Environment, spec, false, g.MaxAge)
	if err != nil {
		// What cannot be read holds: the stage looks again, and an
		// approver may still override.
		d = slo.Decision{Hold: true, Reasons: []string{"cannot read the error budget: " + err.Error()}}
	}
	look := sloLook(d, h, in.Stage.Judgment, in.Now)
	var r Result
	switch {
	case look.Reject != "":
		r = Failf("%s", look.Reject)
	case look.Go:
		r = Succeed(look.Output)
	default:
		at := in.Now.Add(SLORecheck)
		if t := spec.Timeout.D(); t > 0 {
			until := startOf(in).Add(t)
			if !in.Now.Before(until) {
				r = Failf("still held after %s (sloGate.timeout): %s", spec.Timeout, d.Summary())
				break
			}
			if until.Before(at) {
				at = until
			}
		}
		if d.Freeze != "" && d.FreezeUntil.After(in.Now) && d.FreezeUntil.Before(at) {
			at = d.FreezeUntil
		}
		r = Result{Outcome: WaitForPerson, At: at, Reason: look.Output.Summary}
	}
	r.Output = mustJSON(look.Output)
	r.ClearJudgment = look.Consumed
	return r.WithState(look.Hold)
}
