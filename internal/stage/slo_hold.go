package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

// SLORecheck is how often a stage held by the error budget looks again.
const SLORecheck = 30 * time.Second

// SLOReader is what the error-budget gate reads: the environment's policy,
// the application (for its `slo:` shorthand), the applied config's SLOs
// and their latest evaluations.
type SLOReader interface {
	ApplicationGet(ctx context.Context, name string) (*model.Application, error)
	EnvironmentGet(ctx context.Context, name string) (*model.Environment, error)
	SLOList(ctx context.Context) ([]model.SLO, error)
	// SLOStatusGet returns store.ErrNotFound before the first evaluation.
	SLOStatusGet(ctx context.Context, name string) (*model.SLOStatus, error)
}

// sloHold is what a stage held by the error budget stores: since when it
// is held, and the override that released it.
type sloHold struct {
	// HeldSince is when the gate first held the stage (nil: never held).
	HeldSince *time.Time `json:"heldSince,omitempty"`
	// Override is the approver's release, with its reason.
	Override *model.Judgment `json:"override,omitempty"`
	// Decision is the last decision, as shown.
	Decision slo.Decision `json:"decision"`
}

// SLOGateOutput is what people see of an error-budget check, in a sloGate
// stage's output and under "sloGate" in a deploy's.
type SLOGateOutput struct {
	// Summary is one line: "held: ...", "passed", "overridden by ...".
	Summary string `json:"summary"`
	// Status is held, passed, overridden or exempt.
	Status   string       `json:"status"`
	Decision slo.Decision `json:"decision"`
	// HeldSince is when the hold began.
	HeldSince *time.Time `json:"heldSince,omitempty"`
	// OverriddenBy and OverrideReason record an approver's override.
	OverriddenBy   string `json:"overriddenBy,omitempty"`
	OverrideReason string `json:"overrideReason,omitempty"`
	// Narrowed says how a deploy's canary was narrowed, and why.
	Narrowed []string `json:"narrowed,omitempty"`
}

// Statuses of an error-budget check.
const (
	// SLOGateHeld: the budget (or a freeze window) holds the change.
	SLOGateHeld = "held"
	// SLOGatePassed: nothing holds it.
	SLOGatePassed = "passed"
	// SLOGateOverridden: an approver released it with a reason.
	SLOGateOverridden = "overridden"
	// SLOGateExempt: a rollback or fix that would have been held.
	SLOGateExempt = "exempt"
)

// sloDecide reads the policy's inputs and decides. policy nil means the
// environment's (none: no decision, ok false).
func sloDecide(ctx context.Context, r SLOReader, in Input, envName string, gate *model.SLOGateStage, rollback bool, maxAge time.Duration) (slo.Decision, bool, error) {
	env, err := r.EnvironmentGet(ctx, envName)
	if err != nil {
		return slo.Decision{}, false, err // the store's error names the environment
	}
	if env.SLOPolicy == nil && gate == nil {
		return slo.Decision{}, false, nil
	}
	appName := in.Execution.Application
	app, err := r.ApplicationGet(ctx, appName)
	if err != nil {
		return slo.Decision{}, false, err
	}
	stored, err := r.SLOList(ctx)
	if err != nil {
		return slo.Decision{}, false, fmt.Errorf("listing SLOs: %w", err)
	}
	var names []string
	if gate != nil {
		names = gate.SLOs
	}
	slos := slo.GateSLOs(model.ConfigSLOs([]model.Application{*app}, stored), appName, envName, names)
	statuses := make(map[string]*model.SLOStatus, len(slos))
	for _, s := range slos {
		st, err := r.SLOStatusGet(ctx, s.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return slo.Decision{}, false, fmt.Errorf("SLO %s: reading its status: %w", s.Name, err)
		default:
			statuses[s.Name] = st
		}
	}
	return slo.Gate(slo.GateInput{
		Application: appName, Environment: envName,
		Policy: slo.MergePolicy(env.SLOPolicy, gate),
		SLOs:   slos, Statuses: statuses, Now: in.Now,
		Rollback: rollback, Fix: in.Execution.IsFix(), MaxAge: maxAge,
	}), true, nil
}

// sloStep is one look of a held (or about to be held) stage: the
// decision, a judgment that answers the hold, and what the stage does.
type sloStep struct {
	// Go: the change may go on (passed, exempt or overridden).
	Go bool
	// Reject is the reason when an approver rejected the held change.
	Reject string
	// Hold is the record to store; Output what to show.
	Hold   sloHold
	Output SLOGateOutput
	// Consumed: the judgment was the hold's answer (clear it).
	Consumed bool
}

// sloLook decides what a stage does with decision d, the stored hold h and
// the stage's judgment j. Pure.
func sloLook(d slo.Decision, h sloHold, j *model.Judgment, now time.Time) sloStep {
	h.Decision = d
	step := sloStep{Hold: h}
	out := SLOGateOutput{Decision: d, HeldSince: h.HeldSince}
	if h.Override == nil && h.HeldSince != nil && j.IsAnswer() {
		step.Consumed = true
		if j.Decision == model.DecisionReject {
			step.Reject = "rejected by " + orSomeone(j.Actor) + commentSuffix(j.Comment) + " while held by the error budget: " + d.Summary()
		} else if strings.TrimSpace(j.Comment) != "" {
			jj := *j
			step.Hold.Override = &jj
		}
	}
	switch {
	case step.Hold.Override != nil:
		o := step.Hold.Override
		step.Go = true
		out.Status, out.OverriddenBy, out.OverrideReason = SLOGateOverridden, orSomeone(o.Actor), o.Comment
		out.Summary = "overridden by " + orSomeone(o.Actor) + ": " + o.Comment
		if d.Hold {
			out.Summary += " (held: " + d.Summary() + ")"
		}
	case d.Exempt != "" && len(d.Reasons) > 0:
		step.Go = true
		out.Status = SLOGateExempt
		out.Summary = "passed (" + d.Exempt + ", never held): would have held: " + d.Summary()
	case !d.Hold:
		step.Go = true
		out.Status, out.Summary = SLOGatePassed, "passed: no SLO short of budget"
		if len(d.Notes) > 0 {
			out.Summary = "passed: " + strings.Join(d.Notes, "; ")
		}
	default:
		if step.Hold.HeldSince == nil {
			t := now
			step.Hold.HeldSince = &t
		}
		out.HeldSince = step.Hold.HeldSince
		out.Status = SLOGateHeld
		out.Summary = "held: " + d.Summary()
	}
	step.Output = out
	return step
}

// CheckJudgment says whether a person's approve or reject may be given to
// a waiting stage now: an approve that overrides the error-budget gate (a
// held sloGate stage, or a deploy held by its environment's sloPolicy)
// needs a reason in its comment.
func CheckJudgment(s model.Stage, spec model.StageSpec, decision, comment string) error {
	if decision != model.DecisionApprove || strings.TrimSpace(comment) != "" || !heldBySLO(s, spec) {
		return nil
	}
	return fmt.Errorf("stage %s is held by the error budget: an override needs a reason; approve it again with --comment REASON (recorded and audited)", s.Name)
}

// heldBySLO reports whether a waiting stage waits because the error
// budget holds it.
func heldBySLO(s model.Stage, spec model.StageSpec) bool {
	if s.Status != model.StageWaiting {
		return false
	}
	if spec.Type() == model.StageSLOGate {
		return true
	}
	// A deploy is held only before it plans.
	var st struct {
		Phase   string   `json:"phase"`
		SLOGate *sloHold `json:"sloGate"`
	}
	if len(s.State) == 0 || json.Unmarshal(s.State, &st) != nil || st.SLOGate == nil || st.Phase != "" {
		return false
	}
	return st.SLOGate.HeldSince != nil && st.SLOGate.Override == nil
}
