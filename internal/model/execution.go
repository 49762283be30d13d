package model

import (
	"encoding/json"
	"time"
)

// ExecutionStatus is where an execution is in its life.
type ExecutionStatus string

const (
	// ExecutionRunning: created and not finished; some stage is pending, running or waiting.
	ExecutionRunning ExecutionStatus = "running"
	// ExecutionSucceeded: every stage succeeded or was skipped.
	ExecutionSucceeded ExecutionStatus = "succeeded"
	// ExecutionFailed: a stage failed; Reason says which and why.
	ExecutionFailed ExecutionStatus = "failed"
	// ExecutionCanceled: someone canceled it; Reason says who.
	ExecutionCanceled ExecutionStatus = "canceled"
)

// Terminal reports whether the execution has finished.
func (s ExecutionStatus) Terminal() bool { return s != ExecutionRunning }

// StageStatus is where a stage is in its life.
type StageStatus string

const (
	// StagePending: not started; waits for the stages it needs.
	StagePending StageStatus = "pending"
	// StageRunning: a worker is acting on it, or it waits on a timer (wait, poll, canary pause).
	StageRunning StageStatus = "running"
	// StageWaiting: it waits for a person (judgment, canary pause without duration).
	StageWaiting StageStatus = "waiting"
	// StageSucceeded: done, and it worked.
	StageSucceeded StageStatus = "succeeded"
	// StageFailed: done, and it did not work; Reason says why.
	StageFailed StageStatus = "failed"
	// StageFailedContinue: it failed but its onFailure is continue, so dependents still run.
	StageFailedContinue StageStatus = "failed_continue"
	// StageSkipped: its `if` condition was false, or a stage it needs did not succeed.
	StageSkipped StageStatus = "skipped"
	// StageCanceled: the execution was canceled before the stage finished.
	StageCanceled StageStatus = "canceled"
)

// Terminal reports whether the stage has finished.
func (s StageStatus) Terminal() bool {
	switch s {
	case StageSucceeded, StageFailed, StageFailedContinue, StageSkipped, StageCanceled:
		return true
	}
	return false
}

// Trigger records who or what started an execution and for which change.
type Trigger struct {
	Kind  string `json:"kind"` // manual, api, deploy, rollback, demo, webhook, registry, git, schedule, pipeline
	Actor string `json:"actor,omitempty"`
	// Owner is who answers for Actor when it is a token (its owner), for
	// four eyes; empty when the actor answers for themself.
	Owner      string     `json:"owner,omitempty"`
	CommitSHA  string     `json:"commitSha,omitempty"`
	CommitTime *time.Time `json:"commitTime,omitempty"`
	// Name is the trigger's key (TriggerKey) when a trigger started the
	// execution; DeliveryID the occurrence it fired for (a webhook's
	// delivery ID, a tag's digest, a commit, a tick, an upstream
	// execution), which starts the pipeline at most once.
	Name       string `json:"name,omitempty"`
	DeliveryID string `json:"deliveryId,omitempty"`
	// Digest is the image digest a registry trigger saw with the tag.
	Digest string `json:"digest,omitempty"`
	// Payload is what the trigger received (a webhook's body, a source's
	// input), with secrets redacted and bounded in size.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Execution is one run of a pipeline. It carries a snapshot of the pipeline
// as it was when it started, so later config changes never alter it.
type Execution struct {
	ID          string            `json:"id"`
	Pipeline    string            `json:"pipeline"`
	Application string            `json:"application"`
	Status      ExecutionStatus   `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Trigger     Trigger           `json:"trigger"`
	Spec        Pipeline          `json:"spec"`
	CreatedAt   time.Time         `json:"createdAt"`
	EndedAt     *time.Time        `json:"endedAt,omitempty"`
	Stages      []Stage           `json:"stages,omitempty"`
	// Version counts the engine's changes to the execution (each apply
	// bumps it under the execution's lock), so a snapshot known to be
	// current need not be read again.
	Version int `json:"version"`
}

// Stage is the runtime record of one stage of an execution.
type Stage struct {
	ExecutionID string      `json:"executionId"`
	Name        string      `json:"name"`
	Type        StageType   `json:"type"`
	Status      StageStatus `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	// Version counts writes to the stage; a write must name the version it
	// read (optimistic concurrency), so two workers never both move it on.
	Version int `json:"version"`
	// Attempt counts runs of the stage after transient errors (1 on the first).
	Attempt int `json:"attempt"`
	// State is the stage type's own progress record (what it has done so far),
	// so a resumed stage continues instead of starting again.
	State json.RawMessage `json:"state,omitempty"`
	// Output is what the stage reports to later stages and people.
	Output    json.RawMessage `json:"output,omitempty"`
	StartedAt *time.Time      `json:"startedAt,omitempty"`
	EndedAt   *time.Time      `json:"endedAt,omitempty"`
	// Deadline is when the stage times out (from its timeout), if any.
	Deadline *time.Time `json:"deadline,omitempty"`
	// Judgment holds a person's answer to a waiting stage.
	Judgment *Judgment `json:"judgment,omitempty"`
	// WakeAt is the stage's stored timer: when the engine looks at it next.
	// A running stage always has one (a stage whose time has come is given
	// a job by the engine's due scan); a waiting stage has one when it waits
	// only until a time. Nil for pending and ended stages.
	WakeAt *time.Time `json:"wakeAt,omitempty"`
	// ClaimedBy names the worker making the stage's current step, "" when
	// none: a step's external call is made only under a claim, so a second
	// wake-up of the same step does nothing (see store.Queries.StageClaim).
	ClaimedBy string `json:"-"`
	// ClaimUntil is when an abandoned claim may be taken over.
	ClaimUntil *time.Time `json:"-"`
	// QueuedAt is when the engine enqueued a job for the stage with the
	// change that made it due (nil once a worker claims it): the due scan
	// leaves such a stage to its job.
	QueuedAt *time.Time `json:"-"`
}

// Judgment is a person's answer to a stage that waits for one.
type Judgment struct {
	Decision string    `json:"decision"` // approve, reject, promote, abort or retry
	Actor    string    `json:"actor,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
	// Version is the execution's version when a promote or abort was
	// recorded: a repeat of the same request (sent again after a lost
	// answer) names a version not after it and changes nothing.
	Version int `json:"version,omitempty"`
}

// Judgment decisions.
const (
	// DecisionApprove lets a waiting judgment or canary pause go on.
	DecisionApprove = "approve"
	// DecisionReject fails a waiting judgment, or rolls a paused canary back.
	DecisionReject = "reject"
	// DecisionPromote skips a running canary's remaining steps to its
	// promotion (all traffic to the canary, the old version handled as the
	// strategy says).
	DecisionPromote = "promote"
	// DecisionAbort stops a running canary and returns traffic to the
	// stable version, as a failed analysis does; the stage fails, aborted
	// by the person.
	DecisionAbort = "abort"
	// DecisionRetry marks the stage a retry ran again from (Version is the
	// execution's version then); it answers nothing.
	DecisionRetry = "retry"
)

// IsAnswer reports an approve or reject: an answer to a waiting judgment
// or canary pause.
func (j *Judgment) IsAnswer() bool {
	return j != nil && (j.Decision == DecisionApprove || j.Decision == DecisionReject)
}

// IsControl reports a promote or abort: a command to a running canary,
// not an answer to a pause.
func (j *Judgment) IsControl() bool {
	return j != nil && (j.Decision == DecisionPromote || j.Decision == DecisionAbort)
}
