package stage

import (
	"context"
	"time"
)

// Wait waits for its configured duration, counted from when the stage
// started, so a restart in the middle does not wait again from the start.
type Wait struct{}

var _ Runner = Wait{}

// Run implements Runner.
func (Wait) Run(_ context.Context, in Input) Result {
	if in.Canceled {
		return Failf("canceled while waiting")
	}
	start := in.Now
	if in.Stage.StartedAt != nil {
		start = *in.Stage.StartedAt
	}
	wake := start.Add(in.Spec.Wait.Duration.D())
	if !in.Now.Before(wake) {
		return Succeed(map[string]any{"waited": in.Spec.Wait.Duration.String()})
	}
	return Result{Outcome: Continue, At: wake}
}

// startOf returns when the stage started (or now, if it has no start yet).
func startOf(in Input) time.Time {
	if in.Stage.StartedAt != nil {
		return *in.Stage.StartedAt
	}
	return in.Now
}
