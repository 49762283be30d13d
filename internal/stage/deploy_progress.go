package stage

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// StepState is where one step of a deploy's plan stands.
type StepState string

const (
	// StepDone: the step ran to its end.
	StepDone StepState = "done"
	// StepRunning: the deploy is at this step now (it may be waiting in it:
	// a pause, an analysis interval, a health check).
	StepRunning StepState = "running"
	// StepFailed: the deploy failed at this step (or was canceled in it) and
	// aborted: traffic went back and what it created was removed.
	StepFailed StepState = "failed"
	// StepPending: the step has not started.
	StepPending StepState = "pending"
	// StepNotRun: the deploy ended before it reached the step.
	StepNotRun StepState = "not run"
)

// DeployProgress is where a deploy's plan stands, read from its stage's
// stored state for people (the UI): every step in one numbering, which ran,
// which runs now, which failed, and for a running analysis its interval.
type DeployProgress struct {
	Steps []ProgressStep
	// Current is the index of the step running or failed, -1 when none is
	// (not planned yet, or every step ran).
	Current int
	// Aborting: the deploy failed or was canceled and is putting traffic
	// back (the abort plan runs).
	Aborting bool
	// StepStarted is when the current step began, when known.
	StepStarted *time.Time
	// Analysis is the running analysis step's clock, when it is measuring.
	Analysis *AnalysisProgress
}

// ProgressStep is one step of the plan.
type ProgressStep struct {
	// Number counts the plan's steps from 1 (the "step 2" of "step 2 of 12").
	Number int
	Action strategy.Action
	// What is the step in words, without the canary's own step numbering.
	What  string
	State StepState
	// Weight is the canary's traffic share for a canary traffic step, -1 otherwise.
	Weight int
	// Pause is a pause step's length (0: until someone approves).
	Pause time.Duration
}

// AnalysisProgress is the clock of a running analysis step.
type AnalysisProgress struct {
	AnalysisTiming
	// Measuring is the interval being measured (Index counts from 0).
	// Before the first one End is zero and Start is when the warm-up ends.
	Measuring AnalysisInterval
	// AwaitingPerson: an inconclusive interval waits for approve or reject.
	AwaitingPerson bool
}

// canaryStepPrefix is the canary planner's own numbering of its steps in
// Why ("step 2: pause for 1m"), left out of What so one numbering remains.
var canaryStepPrefix = regexp.MustCompile(`^step \d+: `)

// ReadDeployProgress reads a deploy stage's progress from its stored state
// (st.State) and its spec (for the analysis timing). A stage that has not
// planned yet has no steps; a deploy in waves has no single plan and
// returns nil.
func ReadDeployProgress(st model.Stage, spec model.StageSpec) (*DeployProgress, error) {
	if spec.Deploy.InWaves() {
		return nil, nil
	}
	var ds deployState
	if len(st.State) > 0 && string(st.State) != "null" {
		if err := json.Unmarshal(st.State, &ds); err != nil {
			return nil, fmt.Errorf("stage %q: stored state is unreadable: %w", st.Name, err)
		}
	}
	p := &DeployProgress{Current: -1, Aborting: ds.Phase == phaseAbort}
	ended := st.Status.Terminal()
	for i, s := range ds.Plan.Steps {
		ps := ProgressStep{Number: i + 1, Action: s.Action, What: canaryStepPrefix.ReplaceAllString(s.Why, ""), Weight: -1, Pause: s.Pause.D()}
		if s.Action == strategy.ActionSetTraffic && s.CanaryRef != "" {
			ps.Weight = s.Weights[s.CanaryRef]
		}
		switch {
		case i < ds.Next:
			ps.State = StepDone
		case i == ds.Next && (ds.Phase == phaseAbort || st.Status == model.StageFailed || st.Status == model.StageCanceled):
			ps.State = StepFailed
		case i == ds.Next && !ended:
			ps.State = StepRunning
		case ended:
			ps.State = StepNotRun
		default:
			ps.State = StepPending
		}
		if ps.State == StepRunning || ps.State == StepFailed {
			p.Current = i
		}
		p.Steps = append(p.Steps, ps)
	}
	if p.Current >= 0 && p.Steps[p.Current].State == StepRunning {
		p.StepStarted = ds.StepStarted
		step := ds.Plan.Steps[p.Current]
		if step.Action == strategy.ActionAnalysis && step.Analysis != nil && ds.Analysis != nil {
			p.Analysis = &AnalysisProgress{
				AnalysisTiming: AnalysisTimingOf(*step.Analysis, analysisSpec(Input{Spec: spec}, step)),
				Measuring:      ds.Analysis.AnalysisInterval,
				AwaitingPerson: ds.Analysis.AwaitingPerson,
			}
		}
	}
	return p, nil
}
