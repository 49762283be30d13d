package stage

import (
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// A person's commands to a running canary (Argo Rollouts' promote --full
// and abort). The engine records one as the stage's Judgment (DecisionPromote
// or DecisionAbort) after CheckControl allowed it, under the execution's
// lock, and wakes the stage; the deploy's next call folds it into its state
// (applyControl) exactly once: the state remembers the judgment it took.

// ErrNotControllable is why a promote or abort cannot act on a stage now.
var ErrNotControllable = errors.New("cannot act on the stage now")

// CheckControl says whether decision (model.DecisionPromote or
// model.DecisionAbort) can act on stage s, whose spec is spec, as it is
// stored now. It is pure.
func CheckControl(s model.Stage, spec model.StageSpec, decision string) error {
	if spec.Deploy == nil || spec.Deploy.Strategy.Type != model.StrategyCanary {
		return fmt.Errorf("%w: stage %q is a %s stage, not a canary deploy: %s acts on a canary", ErrNotControllable, s.Name, s.Type, decision)
	}
	if spec.Deploy.InWaves() {
		return fmt.Errorf("%w: stage %q deploys in waves; %s acts on a canary deploy to one environment: approve, reject or cancel it instead", ErrNotControllable, s.Name, decision)
	}
	if s.Status != model.StageRunning && s.Status != model.StageWaiting {
		hint := ""
		if s.Status == model.StageFailed || s.Status == model.StageCanceled {
			hint = "; run it again with retry"
		}
		return fmt.Errorf("%w: stage %q is %s: %s acts on a running canary%s", ErrNotControllable, s.Name, s.Status, decision, hint)
	}
	var st deployState
	if err := DecodeState(Input{Stage: &s}, &st); err != nil {
		return err
	}
	if j := s.Judgment; j.IsControl() && !controlTaken(st, j) {
		return fmt.Errorf("%w: stage %q has a %s by %s that it has not acted on yet: wait a moment and look again", ErrNotControllable, s.Name, j.Decision, orSomeone(j.Actor))
	}
	switch {
	case st.Phase == "":
		return fmt.Errorf("%w: the canary of stage %q has not started yet (it waits for its turn or is planning): try again in a moment", ErrNotControllable, s.Name)
	case st.Phase == phaseAbort:
		return fmt.Errorf("%w: the canary of stage %q is being rolled back already (%s)", ErrNotControllable, s.Name, st.FailReason)
	}
	if decision == model.DecisionPromote {
		if _, err := strategy.PromoteFull(st.Plan, st.Next); err != nil {
			return fmt.Errorf("%w: stage %q: %v", ErrNotControllable, s.Name, err)
		}
	}
	return nil
}

// controlTaken reports whether the state has folded in control judgment j.
func controlTaken(st deployState, j *model.Judgment) bool {
	return st.ControlAt != nil && st.ControlAt.Equal(j.At)
}

// controlMove is what a deploy call does with a promote or abort.
type controlMove int

const (
	// controlNone: no command waits to be taken: the deploy goes on.
	controlNone controlMove = iota
	// controlPromote: the plan goes on at its promotion.
	controlPromote
	// controlAbort: the deploy aborts (traffic back, what it created
	// removed) and fails, aborted by the person.
	controlAbort
	// controlIgnored: the command came too late (the plan is at its
	// promotion, or aborting): taken and noted, nothing changes.
	controlIgnored
)

// applyControl folds the stage's promote or abort judgment j into st, once,
// and returns the new state, what it does and words for people. It is pure.
func applyControl(st deployState, j *model.Judgment) (deployState, controlMove, string) {
	if !j.IsControl() || controlTaken(st, j) || st.Phase != phaseRun {
		return st, controlNone, ""
	}
	at := j.At
	st.ControlAt = &at
	by := orSomeone(j.Actor) + commentSuffix(j.Comment)
	if j.Decision == model.DecisionAbort {
		return startAbort(st, "aborted by "+by), controlAbort, "rolling back: aborted by " + by
	}
	next, err := strategy.PromoteFull(st.Plan, st.Next)
	if err != nil {
		return st, controlIgnored, "promote by " + orSomeone(j.Actor) + " not taken: " + err.Error()
	}
	skipped := next - st.Next
	st.Next, st.StepStarted, st.Analysis = next, nil, nil
	return st, controlPromote, fmt.Sprintf("promoting at once: %s skipped the remaining %d canary steps", by, skipped)
}
