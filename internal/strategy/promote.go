package strategy

import (
	"errors"
	"fmt"
)

// ErrNotPromotable: a plan has no canary steps left to skip.
var ErrNotPromotable = errors.New("nothing to promote")

// PromoteFull is where a canary plan at step next goes on when a person
// asks to promote it at once (Argo Rollouts' "promote --full"): past its
// remaining canary steps (weights, pauses, analyses) to the promotion
// (grow the canary when traffic follows replica counts, all traffic to it,
// mark it good, retire the old groups as the strategy says). It is pure: the
// deploy executes the plan from the returned index.
//
// It refuses, with ErrNotPromotable and why, a plan with no canary step
// (a first deploy or another strategy), a canary that has not finished
// starting (its groups are not known to be healthy), and a plan that is at
// its promotion already.
func PromoteFull(p Plan, next int) (int, error) {
	firstCanary, promote := -1, -1
	for i, s := range p.Steps {
		if firstCanary < 0 && isCanaryStep(s) {
			firstCanary = i
		}
		if s.Action == ActionSetTraffic && s.CanaryRef == "" && s.Weights[RefNew] == 100 {
			promote = i
		}
	}
	if firstCanary < 0 || promote < 0 {
		return 0, fmt.Errorf("%w: the deploy is not a canary (it has no canary steps)", ErrNotPromotable)
	}
	if next < firstCanary {
		return 0, fmt.Errorf("%w: the canary is still starting (step %d of %d: %s); promote once it is healthy", ErrNotPromotable, next+1, len(p.Steps), p.Steps[next].Why)
	}
	// The promotion starts with the steps that grow the canary to its full
	// size just before all traffic goes to it.
	start := promote
	for start-1 > next && isGrowCanary(p.Steps[start-1]) {
		start--
	}
	if next >= start {
		return 0, fmt.Errorf("%w: the canary is being promoted already (step %d of %d)", ErrNotPromotable, next+1, len(p.Steps))
	}
	return start, nil
}

// isCanaryStep reports a step of the canary's own steps: a canary weight, a
// pause or an analysis.
func isCanaryStep(s Step) bool {
	return s.Action == ActionPause || s.Action == ActionAnalysis || (s.Action == ActionSetTraffic && s.CanaryRef != "")
}

func isGrowCanary(s Step) bool {
	return s.Ref == RefNew && (s.Action == ActionResize || s.Action == ActionWaitHealthy)
}
