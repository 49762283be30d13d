package stage

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

func controlState() deployState {
	return deployState{Phase: phaseRun, Environment: "prod", Version: "v2", Next: 3, Plan: strategy.Plan{Steps: []strategy.Step{
		{Action: strategy.ActionCreate, Ref: strategy.RefNew}, {Action: strategy.ActionWaitHealthy, Ref: strategy.RefNew},
		{Action: strategy.ActionSetTraffic, CanaryRef: strategy.RefNew, Weights: map[strategy.Ref]int{strategy.RefNew: 25}},
		{Action: strategy.ActionAnalysis, Ref: strategy.RefNew}, {Action: strategy.ActionPause},
		{Action: strategy.ActionSetTraffic, Weights: map[strategy.Ref]int{strategy.RefNew: 100}}, {Action: strategy.ActionMarkGood, Ref: strategy.RefNew},
	}}}
}

func TestApplyControl(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	promote := &model.Judgment{Decision: model.DecisionPromote, Actor: "ada", At: at}
	abort := &model.Judgment{Decision: model.DecisionAbort, Actor: "bob", Comment: "errors in the logs", At: at}

	st, move, why := applyControl(controlState(), promote)
	if move != controlPromote || st.Next != 5 || st.ControlAt == nil || !strings.Contains(why, "ada skipped the remaining 2 canary steps") {
		t.Fatalf("promote: move %v, next %d, why %q; want the promotion at step 6", move, st.Next, why)
	}
	if _, again, _ := applyControl(st, promote); again != controlNone {
		t.Fatalf("the same promote was taken twice")
	}

	st, move, why = applyControl(controlState(), abort)
	if move != controlAbort || st.Phase != phaseAbort || st.FailReason != "aborted by bob: errors in the logs" || !strings.HasPrefix(why, "rolling back") {
		t.Fatalf("abort: move %v, phase %s, reason %q", move, st.Phase, st.FailReason)
	}
	if _, again, _ := applyControl(st, abort); again != controlNone {
		t.Fatalf("the same abort was taken twice")
	}

	for _, j := range []*model.Judgment{nil, {Decision: model.DecisionApprove, At: at}, {Decision: model.DecisionRetry, At: at}} {
		if _, move, _ := applyControl(controlState(), j); move != controlNone {
			t.Errorf("judgment %+v moved the canary", j)
		}
	}
	late := controlState()
	late.Next = 6
	if _, move, why := applyControl(late, promote); move != controlIgnored || !strings.Contains(why, "not taken") {
		t.Errorf("a promote at the promotion: move %v, why %q; want it ignored", move, why)
	}
}

// A pause answers approve and reject only: a promote or retry left on the
// stage is no answer.
func TestPauseIgnoresControls(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, d := range []string{model.DecisionPromote, model.DecisionAbort, model.DecisionRetry} {
		out := pauseOutcome(strategy.Step{Action: strategy.ActionPause}, now, now, &model.Judgment{Decision: d})
		if out.kind != stepWaitPerson {
			t.Errorf("%s at a pause: kind %v, want a wait for a person", d, out.kind)
		}
	}
}
