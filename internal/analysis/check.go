package analysis

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Checks are Argo-Rollouts-style metrics: each measurement of a check has a
// verdict of its own (a condition on a web endpoint's value, or a Job's
// outcome), and limits over the step's measurements decide. Files:
// check.go (the measurement), check_condition.go (JSONPath and CEL
// conditions), check_decide.go (the limits).

// CheckPhase is what one measurement of a check found.
type CheckPhase string

const (
	// CheckSuccessful: the value met the success condition (or the Job succeeded).
	CheckSuccessful CheckPhase = "successful"
	// CheckFailed: the value met the failure condition (or the Job failed).
	CheckFailed CheckPhase = "failed"
	// CheckInconclusive: with both conditions, the value met neither.
	CheckInconclusive CheckPhase = "inconclusive"
	// CheckError: nothing could be measured (unreachable, bad answer, a Job
	// that never finished); counts against consecutiveErrorLimit.
	CheckError CheckPhase = "error"
)

// CheckMeasurement is one measurement of one check, as recorded.
type CheckMeasurement struct {
	Check string          `json:"check"`
	Kind  model.CheckKind `json:"kind"`
	// Interval is the analysis interval (from 0) the measurement belongs to.
	Interval int        `json:"interval"`
	Phase    CheckPhase `json:"phase"`
	// Value is what the conditions saw (web checks), as JSON would show it.
	Value any `json:"value,omitempty"`
	// Message says what was found, in one sentence.
	Message    string    `json:"message"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`

	// Web checks: the URL as requested and the answer's status.
	URL    string `json:"url,omitempty"`
	Status int    `json:"status,omitempty"`

	// Job checks: the Job, and for a failed one the container that failed
	// with its exit code and reason.
	Job       string `json:"job,omitempty"`
	Container string `json:"container,omitempty"`
	ExitCode  *int32 `json:"exitCode,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// CheckRound is what an analysis record stores of the checks of one judged
// interval: this interval's measurements and the tallies over the step so far.
type CheckRound struct {
	// Judge is JudgeChecks, so readers tell these records apart.
	Judge        string             `json:"judge"`
	Canary       string             `json:"canary"`
	Measurements []CheckMeasurement `json:"measurements"`
	Tallies      []CheckTally       `json:"tallies"`
}

// JudgeChecks marks analysis records of checks.
const JudgeChecks = "checks"
