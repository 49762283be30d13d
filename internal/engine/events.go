package engine

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// An Event is something that changes an execution. The engine applies every
// event the same way (apply.go): lock the execution, read it, turn the event
// into Effects with the pure Transition, and commit them in one transaction.
type Event interface{ event() }

// Started: the execution was just created; its first stages start.
type Started struct {
	// Claim, when set, is the claim the starting server takes on the first
	// stage due at once (until ClaimUntil), in the start's transaction,
	// so that it makes that stage's steps itself (eager start) instead of
	// giving the stage a job.
	Claim      string
	ClaimUntil time.Time
}

// StepDone: a worker made one step of a stage under its claim and reports
// what the stage's runner returned.
type StepDone struct {
	Stage string
	// Claim is the claim the step was made under; a stage no longer held by
	// it has moved on (the result was applied already), and the event is
	// dropped.
	Claim string
	// Version is the stage's version right after the claim. When someone
	// else wrote the stage during the step (an approval, a cancel), the stage
	// is looked at again at once.
	Version int
	Result  stage.Result
	// NextClaim, when set, lets the worker carry on: a stage due at once
	// after this step (the same stage's next step, or a stage this one
	// started) is claimed for NextClaim until ClaimUntil, in the same
	// transaction, instead of being given a job.
	NextClaim  string
	ClaimUntil time.Time
}

// Judged: a person approved or rejected a waiting stage.
type Judged struct {
	Stage    string
	Judgment model.Judgment
}

// Canceled: someone canceled the execution.
type Canceled struct {
	Actor, Reason string
}

// Controlled: a person promoted or aborted a running canary stage
// (Judgment.Decision is model.DecisionPromote or model.DecisionAbort).
type Controlled struct {
	Stage    string
	Judgment model.Judgment
}

// Retried: a person ran a failed or canceled execution again from one of
// its failed or canceled stages.
type Retried struct {
	Stage, Actor, Comment string
}

func (Controlled) event() {}
func (Retried) event()    {}
func (Started) event()    {}
func (StepDone) event()   {}
func (Judged) event()     {}
func (Canceled) event()   {}
