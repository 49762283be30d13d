package stage

import "context"

// Noop succeeds at once (or fails, when configured to, for tests).
type Noop struct{}

var _ Runner = Noop{}

// Run implements Runner.
func (Noop) Run(_ context.Context, in Input) Result {
	if in.Spec.Noop != nil && in.Spec.Noop.Fail {
		return Failf("noop stage %q is configured to fail (noop.fail: true)", in.Stage.Name)
	}
	return Succeed(nil)
}
