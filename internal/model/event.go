package model

import "time"

// EventKind names a delivery event in the append-only log the KPIs read.
type EventKind string

const (
	// EventExecutionStarted: a pipeline execution began.
	EventExecutionStarted EventKind = "execution_started"
	// EventExecutionFinished: an execution ended; Detail holds its status and reason.
	EventExecutionFinished EventKind = "execution_finished"
	// EventDeployStarted: a deploy stage began rolling a version into an environment.
	EventDeployStarted EventKind = "deploy_started"
	// EventDeploySucceeded: the version took all traffic.
	EventDeploySucceeded EventKind = "deploy_succeeded"
	// EventDeployFailed: the deploy did not complete; Detail says why.
	EventDeployFailed EventKind = "deploy_failed"
	// EventRolledBack: traffic went back to an earlier version.
	EventRolledBack EventKind = "rolled_back"
	// EventWaveStarted: a deploy in waves started a wave; Detail names the
	// wave and its environments.
	EventWaveStarted EventKind = "wave_started"
	// EventManualStep: a person did something by hand (approve, reject, cancel, rollback, run).
	EventManualStep EventKind = "manual_step"
	// EventTrafficApproximated: a traffic step's weight cannot be met with
	// the instance count where traffic follows replica counts; Detail says
	// what the split really is and how many instances would meet it.
	EventTrafficApproximated EventKind = "traffic_approximated"
	// EventDeleted: an application, environment or pipeline was deleted
	// (`gennaker delete`), after what it ran was stopped; Detail says what
	// was removed.
	EventDeleted EventKind = "deleted"
	// EventJudgmentWaiting: a stage began waiting for a person to approve
	// or reject (a manual judgment, a canary's pause); Detail says what for.
	EventJudgmentWaiting EventKind = "judgment_waiting"
	// EventCanaryVerdict: a canary analysis step reached its verdict;
	// Action is passed, failed or inconclusive and Detail the short reason.
	EventCanaryVerdict EventKind = "canary_verdict"
	// EventAnalysisStarted: a deploy's canary analysis step began (its
	// warm-up included); with the step's canary_verdict it bounds the time
	// the lead-time breakdown calls canary analysis.
	EventAnalysisStarted EventKind = "analysis_started"
	// EventIncidentOpened: an incident began in an application's
	// environment (Alertmanager or the incident API). Time is when it
	// started (which may be before it was recorded), Ref its ID, Action
	// its source, Detail its title.
	EventIncidentOpened EventKind = "incident_opened"
	// EventIncidentResolved: an incident ended; Time is when, Ref its ID.
	EventIncidentResolved EventKind = "incident_resolved"
	// EventOutOfBand: somebody changed, around gennaker, what gennaker runs
	// (a Deployment's image or replicas edited with kubectl, a workload in a
	// managed namespace gennaker does not own, a local process replaced).
	// Ref names the object, Actor who changed it as far as the target can
	// tell, Detail what changed.
	EventOutOfBand EventKind = "out_of_band_change"
	// EventSLOAlertFiring: an SLO's burn-rate alert started firing (the
	// evaluator, internal/slo/eval). Ref is the SLO's name, Action the
	// alert's, Detail the reason (the burn rates against the factor).
	EventSLOAlertFiring EventKind = "slo_alert_firing"
	// EventSLOAlertResolved: an SLO's burn-rate alert stopped firing (or
	// its SLO was removed); Ref, Action and Detail as on firing.
	EventSLOAlertResolved EventKind = "slo_alert_resolved"
)

// Event is one record of the delivery log. Events are never updated.
type Event struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Kind        EventKind `json:"kind"`
	Application string    `json:"application,omitempty"`
	Environment string    `json:"environment,omitempty"`
	// Version is the version deployed, or, on a rolled_back event, the
	// version traffic went back to.
	Version string `json:"version,omitempty"`
	// FromVersion is, on a rolled_back event, the version traffic moved
	// away from ("" on other kinds, and on rollbacks recorded before it).
	FromVersion string     `json:"fromVersion,omitempty"`
	ExecutionID string     `json:"executionId,omitempty"`
	Stage       string     `json:"stage,omitempty"`
	Trigger     string     `json:"trigger,omitempty"`
	Actor       string     `json:"actor,omitempty"`
	CommitSHA   string     `json:"commitSha,omitempty"`
	CommitTime  *time.Time `json:"commitTime,omitempty"`
	// Action names the manual step (approve, reject, cancel, rollback, run).
	Action string `json:"action,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Ref names what the event is about when it is not an execution: the
	// incident's ID on incident events, the object on out_of_band_change.
	Ref string `json:"ref,omitempty"`
}
