package stage

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Judgment waits for a person to approve or reject, optionally up to a timeout.
type Judgment struct{}

var _ Runner = Judgment{}

// Run implements Runner.
func (Judgment) Run(_ context.Context, in Input) Result {
	if in.Canceled {
		return Failf("canceled while waiting for judgment")
	}
	if j := in.Stage.Judgment; j.IsAnswer() {
		out := map[string]any{"decision": j.Decision, "actor": j.Actor, "comment": j.Comment}
		if j.Decision == model.DecisionApprove {
			return Succeed(out)
		}
		reason := "rejected by " + orSomeone(j.Actor)
		if j.Comment != "" {
			reason += ": " + j.Comment
		}
		r := Failf("%s", reason)
		r.Output = mustJSON(out)
		return r
	}
	var until time.Time
	if t := in.Spec.Judgment.Timeout.D(); t > 0 {
		until = startOf(in).Add(t)
		if !in.Now.Before(until) {
			return Failf("nobody approved or rejected within %s (judgment.timeout): rejected automatically", in.Spec.Judgment.Timeout)
		}
	}
	return Result{Outcome: WaitForPerson, At: until}
}

func orSomeone(actor string) string {
	if actor == "" {
		return "someone"
	}
	return actor
}
