// Package store declares how gennaker remembers: one Store interface that the
// engine, the API and the stages use, implemented by store/sqlite (embedded,
// the default) and later store/postgres, and checked by one conformance suite
// in store/storetest that every implementation must pass.
//
// Each store also brings the durable job queue over its database (Queue,
// built by Store.NewQueue): River with the store's own driver, enqueueing in
// the store's Tx, so nothing here names a database/sql or pgx type.
//
// Writes that change an execution or a stage are guarded transitions: they
// name the statuses they move from, and fail with ErrConflict when the row is
// no longer in one of them, so two workers can never both move a stage on.
package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
)

// TimePrecision is the precision every store keeps times at: PostgreSQL's
// timestamptz keeps microseconds, and the SQLite store truncates to the
// same, so a time read back is the same on both (times inside JSON
// documents, such as a judgment's, keep what JSON keeps).
const TimePrecision = time.Microsecond

// Store is a handle on gennaker's database.
type Store interface {
	Queries
	// InTx runs fn inside one write transaction; it commits when fn returns nil
	// and rolls back otherwise. fn must use only tx (never the Store) for
	// database work, or it may deadlock on SQLite's single writer. On SQLite
	// concurrent calls share one transaction (group commit), so a call
	// returns only after the others that joined it ran their fn: fn must not
	// take a lock that a caller may hold across InTx, nor wait for anything
	// another caller does after its InTx returns.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// NewQueue builds the durable job queue over this database with cfg
	// (the caller's workers, queues and policies): River with this store's
	// driver, whose Queue.InsertTx enqueues a job in this store's Tx, so
	// the job commits with the state change it follows.
	NewQueue(cfg *river.Config) (Queue, error)
	// StageReleaseClaims drops every stage claim and QueuedAt, so that the
	// steps a crashed process was making, or had taken a job for, are made
	// again at once instead of when their claims expire or their jobs are
	// rescued. It returns how many stages it changed. Only safe when no
	// other process works this database (a single node at start-up).
	StageReleaseClaims(ctx context.Context) (int64, error)
	Close() error
}

// Tx is a write transaction: every query, and the execution's lock. The
// store's Queue enqueues jobs in it (Queue.InsertTx).
type Tx interface {
	Queries
	// ExecutionLock holds the execution's lock until the transaction ends,
	// so the engine's apply decides on a snapshot nobody else changes
	// meanwhile (the row lock of an UPDATE on PostgreSQL; SQLite's write
	// transaction holds the database's only write lock anyway), and bumps
	// its Version. It returns the version before the bump: a snapshot with
	// that version is current. ErrNotFound when there is no such execution.
	ExecutionLock(ctx context.Context, id string) (int, error)
}

// Queries is every read and write the rest of gennaker makes.
type Queries interface {
	// ConfigApply upserts every object of cfg in one transaction and reports
	// what changed. Objects not in cfg are left alone.
	ConfigApply(ctx context.Context, cfg model.Config) (ApplyResult, error)
	// ConfigDelete removes one application, environment or pipeline and
	// the records that belong to it, in one transaction, and reports what it
	// removed; ErrNotFound when there is no such object, a *RunningError
	// (ErrConflict) while an execution it would remove or that deploys
	// there runs. An application takes its pipelines, executions, server
	// groups, traffic seconds, leases, outbox changes and its triggers'
	// state and claimed deliveries with it; an environment its server
	// groups, traffic seconds and leases; a pipeline itself and its
	// triggers' state (its executions, and the deliveries they claimed,
	// stay as its application's history). Events, incidents and audit entries are never removed. It removes
	// records only: stopping what the object runs is the caller's, first.
	ConfigDelete(ctx context.Context, params ConfigDeleteParams) (DeleteResult, error)
	// ConfigRevision is a number that every ConfigApply and ConfigDelete
	// moves on in its transaction (0 before the first): what a server
	// keeps of the config, it reads again when this changed.
	ConfigRevision(ctx context.Context) (int64, error)
	ApplicationGet(ctx context.Context, name string) (*model.Application, error)
	// ApplicationList returns applications by name, a page at a time when
	// params.Limit is set.
	ApplicationList(ctx context.Context, params ApplicationListParams) ([]model.Application, error)
	EnvironmentGet(ctx context.Context, name string) (*model.Environment, error)
	EnvironmentList(ctx context.Context) ([]model.Environment, error)
	PipelineGet(ctx context.Context, name string) (*model.Pipeline, error)
	// PipelineList returns pipelines by name, a page at a time when
	// params.Limit is set.
	PipelineList(ctx context.Context, params PipelineListParams) ([]model.Pipeline, error)
	AnalysisTemplateGet(ctx context.Context, name string) (*model.AnalysisTemplate, error)
	// LeaseAcquire gives the lease on key to holder when it is free, already
	// holder's, or held by a stage that has ended or no longer exists (so a
	// crash never leaves a lease held), in one conditional write: of many
	// concurrent callers exactly one gets it. It returns the holder after
	// the call and whether that is holder.
	LeaseAcquire(ctx context.Context, key string, holder LeaseHolder) (LeaseHolder, bool, error)
	// LeaseGet returns the lease's holder and true while the holder's stage
	// has not ended; false when the lease is free.
	LeaseGet(ctx context.Context, key string) (LeaseHolder, bool, error)
	AnalysisTemplateList(ctx context.Context) ([]model.AnalysisTemplate, error)
	TeamList(ctx context.Context) ([]model.Team, error)
	GrantList(ctx context.Context) ([]model.Grant, error)

	// ExecutionInsert stores a new execution and its stages as given,
	// versions included (a start stores its execution at version 1: it is
	// the first change).
	ExecutionInsert(ctx context.Context, exec *model.Execution) error
	// ExecutionGet returns the execution with its stages, in pipeline order.
	ExecutionGet(ctx context.Context, id string) (*model.Execution, error)
	// ExecutionList returns executions newest first, with their stages.
	ExecutionList(ctx context.Context, params ExecutionListParams) ([]model.Execution, error)
	// ExecutionLatest returns the newest execution of each application of
	// params (Environment ""), and of each application in each of
	// params.Environments, without stages; an application or pair with no
	// execution is left out. At most one query per kind, each an index
	// probe per pair, however many executions are stored.
	ExecutionLatest(ctx context.Context, params ExecutionLatestParams) ([]LatestExecution, error)
	// ExecutionRecent returns the newest params.PerPipeline executions of
	// each of params.Pipelines, without stages, by pipeline then newest
	// first: one query, one index seek per pipeline.
	ExecutionRecent(ctx context.Context, params ExecutionRecentParams) ([]model.Execution, error)
	// ExecutionSetStatus moves an execution from one of params.From to params.To.
	ExecutionSetStatus(ctx context.Context, params ExecutionSetStatusParams) error
	// ExecutionReopen makes an ended execution running again (a retry):
	// status running, no reason, no end time, only while its status is one
	// of params.From; otherwise ErrConflict.
	ExecutionReopen(ctx context.Context, params ExecutionReopenParams) error

	StageGet(ctx context.Context, executionID, name string) (*model.Stage, error)
	// StageUpdate writes every mutable field of params.Stage, but only if the
	// stored stage's status is one of params.From and its version equals
	// params.Stage.Version; otherwise ErrConflict. The stored version becomes
	// params.Stage.Version+1 (and so does params.Stage.Version, in place).
	StageUpdate(ctx context.Context, params StageUpdateParams) error
	// StageUpdates is StageUpdate for each of params, in order, in one
	// transaction (the caller's, or its own) and, on PostgreSQL, in one
	// round trip. The first that does not match is an ErrConflict (or
	// ErrNotFound) naming it, and none of them is stored.
	StageUpdates(ctx context.Context, params []StageUpdateParams) error
	// StageClaim takes the claim on an active stage's current step for
	// params.Claimant, in one conditional write: it succeeds only when the
	// stage is running or waiting, its WakeAt has come (is not after
	// params.Now), and it is unclaimed, already params.Claimant's, held by
	// params.Takeover, or claimed until no later than params.Now. A claim bumps the version, so
	// a writer that read the stage before it loses with ErrConflict. It
	// reports whether the claim was taken; false is not an error (another
	// worker has the step, or the stage moved on). A claim clears QueuedAt.
	StageClaim(ctx context.Context, params StageClaimParams) (bool, error)
	// StageClaimExtend moves the claim's expiry to params.Until while the
	// stage is still claimed by params.Claimant, without bumping the
	// version (the worker holding the claim writes its result guarded by
	// the version it read). A worker renews its claim while its step runs,
	// so claims can be short and a dead worker's steps are taken over soon.
	// It reports whether the claim was still the claimant's.
	StageClaimExtend(ctx context.Context, params StageClaimExtendParams) (bool, error)
	// StageDue lists active stages whose WakeAt is not after params.Before,
	// that nobody holds at params.Now (no claim, or an expired one) and
	// that were not given a job after params.QueuedBefore, soonest WakeAt
	// first.
	StageDue(ctx context.Context, params StageDueParams) ([]StageRef, error)

	// ChangeInsert records in the outbox that an execution changed (the
	// engine does, in the transaction of the change). Its ID is drawn when
	// the transaction commits (commit order), so c.ID is left as it is.
	ChangeInsert(ctx context.Context, c *Change) error
	// ChangeList returns changes after params.AfterID in ID order. IDs are
	// commit-ordered: once a change is listed, no change with a smaller ID
	// can appear later, so a reader that remembers the last ID it saw never
	// skips one (the conformance suite races writers against a reader).
	ChangeList(ctx context.Context, params ChangeListParams) ([]Change, error)
	// ChangeLast is the ID of the newest change (0 when there is none).
	ChangeLast(ctx context.Context) (int64, error)
	// ChangeDeleteBefore deletes changes recorded before a time.
	ChangeDeleteBefore(ctx context.Context, before time.Time) (int64, error)

	// TrafficSecondsInsert stores complete seconds of front-door traffic;
	// a second stored already is left as it is.
	TrafficSecondsInsert(ctx context.Context, secs []TrafficSecond) error
	// TrafficSecondsList returns a server group's stored seconds in
	// [params.From, params.To), oldest first.
	TrafficSecondsList(ctx context.Context, params TrafficSecondsParams) ([]TrafficSecond, error)
	// TrafficSecondsDeleteBefore deletes seconds before a time.
	TrafficSecondsDeleteBefore(ctx context.Context, before time.Time) (int64, error)

	// EventInsert appends a delivery event. Its ID is drawn when the
	// transaction commits (IDs are commit-ordered, as changes'), so ev.ID is
	// left as it is: EventList shows it.
	EventInsert(ctx context.Context, ev *model.Event) error
	EventList(ctx context.Context, params EventListParams) ([]model.Event, error)

	// ServerGroupInsert stores a new server group; ErrConflict if its name
	// exists in its environment.
	ServerGroupInsert(ctx context.Context, sg *model.ServerGroup) error
	// ServerGroupGet returns one server group: names are numbered per
	// environment, so a name alone can mean one group in each environment.
	ServerGroupGet(ctx context.Context, environment, name string) (*model.ServerGroup, error)
	// ServerGroupList returns server groups oldest first.
	ServerGroupList(ctx context.Context, params ServerGroupListParams) ([]model.ServerGroup, error)
	// ServerGroupUpdate writes the non-nil fields of params, guarded by params.From when set.
	ServerGroupUpdate(ctx context.Context, params ServerGroupUpdateParams) error
	// ServerGroupNextSequence returns 1 + the highest sequence ever used for
	// the application in the environment (destroyed groups included), so a
	// server group name (app-vNNN) is never reused in its environment.
	ServerGroupNextSequence(ctx context.Context, application, environment string) (int, error)

	// AnalysisInsert stores one judged interval of a canary analysis.
	AnalysisInsert(ctx context.Context, rec *AnalysisRecord) error
	// AnalysisList returns an execution's records ordered by stage, then sequence.
	AnalysisList(ctx context.Context, executionID string) ([]AnalysisRecord, error)

	AccessQueries
	NotificationQueries
	TriggerQueries
	KPIQueries
	SLOQueries
	// SLOConfigQueries read the resolved SLOs ConfigApply stored (slo.go).
	SLOConfigQueries
	IncidentQueries
}

// AccessQueries keep who may use the server: API tokens, browser sessions,
// one-time login links, and the hash-chained audit log.
type AccessQueries interface {
	// TokenInsert stores a new token; ErrConflict when an unrevoked token
	// already has its name (a revoked token's name may be used again).
	TokenInsert(ctx context.Context, t *model.Token) error
	// TokenGet returns the token with this ID, revoked or not.
	TokenGet(ctx context.Context, id string) (*model.Token, error)
	// TokenList returns tokens by name, then creation time.
	TokenList(ctx context.Context, params TokenListParams) ([]model.Token, error)
	// TokenRevoke revokes the unrevoked token named params.Name and returns
	// it; ErrNotFound when there is none.
	TokenRevoke(ctx context.Context, params TokenRevokeParams) (*model.Token, error)

	// SessionInsert stores a new session; ErrConflict if its ID exists.
	SessionInsert(ctx context.Context, s *model.Session) error
	// SessionGet returns a session, expired or not (the caller checks).
	SessionGet(ctx context.Context, id string) (*model.Session, error)
	// SessionDelete removes a session; no error when it is already gone.
	SessionDelete(ctx context.Context, id string) error
	// SessionDeleteExpired removes sessions expired at now (their ExpiresAt
	// is not after now) and returns how many.
	SessionDeleteExpired(ctx context.Context, now time.Time) (int64, error)

	// LoginLinkInsert stores a new link; ErrConflict if its ID exists,
	// ErrNotFound if its token does not.
	LoginLinkInsert(ctx context.Context, l *model.LoginLink) error
	// LoginLinkConsume deletes the link and returns it when it exists and
	// has not expired at now, in one conditional write, so a link opens at
	// most one session; ErrNotFound otherwise.
	LoginLinkConsume(ctx context.Context, id string, now time.Time) (*model.LoginLink, error)

	// AuditAppend appends e to the audit log: it truncates e.Time to
	// model.AuditTimePrecision (now when zero), and the entry gets the next
	// ID, the last entry's hash as PrevHash and e.ChainHash(PrevHash) as
	// Hash. Appends are serialized, so the chain never forks, also with
	// several writers. Alone, it sets e.ID, e.PrevHash and e.Hash; in a
	// transaction a driver may write the entry at the commit and leave them
	// unset (PostgreSQL does): read it back with AuditList. e.Detail must be a
	// JSON document or empty.
	AuditAppend(ctx context.Context, e *model.AuditEntry) error
	// AuditList returns entries in append order (ID ascending).
	AuditList(ctx context.Context, params AuditListParams) ([]model.AuditEntry, error)
}

// TokenListParams filters TokenList.
type TokenListParams struct {
	IncludeRevoked bool
}

// TokenRevokeParams revokes a token by name.
type TokenRevokeParams struct {
	Name string
	By   string
	At   time.Time
}

// AuditListParams filters AuditList; results are ordered by ID ascending.
type AuditListParams struct {
	AfterID     int64
	Since       time.Time
	Actor       string
	Application string
	Limit       int // default 100, at most 1000
	// Newest returns the newest Limit entries (still in ascending order).
	Newest bool
}

// LeaseHolder is the stage of an execution holding a lease.
type LeaseHolder struct {
	ExecutionID string    `json:"executionId"`
	Stage       string    `json:"stage"`
	AcquiredAt  time.Time `json:"acquiredAt"`
}

// ApplyResult counts what ConfigApply did, per kind and outcome.
type ApplyResult struct {
	Created   []string `json:"created"`   // "Application/checkout"
	Updated   []string `json:"updated"`   // changed objects
	Unchanged []string `json:"unchanged"` // identical objects
}

// ApplicationListParams filters and pages ApplicationList.
type ApplicationListParams struct {
	// Applications, when not empty, keeps only these applications (what a
	// caller may read).
	Applications []string
	// After, when set, returns only applications named after it (the last
	// one of the previous page), for paging.
	After string
	Limit int // 0: every application
}

// PipelineListParams filters and pages PipelineList.
type PipelineListParams struct {
	Application string // empty: all
	// Applications, when not empty, keeps only pipelines of these
	// applications (what a caller may read).
	Applications []string
	// After, when set, returns only pipelines named after it (the last one
	// of the previous page), for paging.
	After string
	Limit int // 0: every pipeline
}

// ExecutionListParams filters ExecutionList.
type ExecutionListParams struct {
	Application string
	// Applications, when not empty, keeps only executions of these
	// applications (what a caller may read).
	Applications []string
	Pipeline     string
	Statuses     []model.ExecutionStatus
	// TriggerKind, when set, keeps only executions started that way
	// (model.Trigger.Kind: manual, api, deploy, rollback, ...).
	TriggerKind string
	// Actor, when set, keeps only executions started by this person or
	// token (model.Trigger.Actor, exact).
	Actor string
	// Since and Until, when set, keep only executions created at or after
	// Since and before Until.
	Since, Until time.Time
	Limit        int // default 50
	// Before, when set, returns only executions older than this cursor (the
	// last one of the previous page), for paging.
	Before *ExecutionCursor
}

// ExecutionCursor is a position in the newest-first order of executions.
type ExecutionCursor struct {
	CreatedAt time.Time
	ID        string
}

// ExecutionReopenParams is a guarded retry of an ended execution.
type ExecutionReopenParams struct {
	ID   string
	From []model.ExecutionStatus
}

// ExecutionSetStatusParams is a guarded execution transition.
type ExecutionSetStatusParams struct {
	ID      string
	From    []model.ExecutionStatus
	To      model.ExecutionStatus
	Reason  string
	EndedAt *time.Time
}

// TrafficSecond is one complete second of a server group's traffic through
// the local front door (the statistical judge's front-door samples).
type TrafficSecond struct {
	Application, Environment, ServerGroup string
	// Time is the second's start (whole seconds).
	Time             time.Time
	Requests, Errors uint64
	// SumSeconds is the total latency of the second's requests.
	SumSeconds float64
	// Latency counts the second's latencies (sparse, in the front door's
	// fine layout; seconds stored before it keep the coarse one, see
	// package latency). Stored as its JSON.
	Latency latency.Histogram
}

// TrafficSecondsParams names a server group's seconds in [From, To).
type TrafficSecondsParams struct {
	Application, Environment, ServerGroup string
	From, To                              time.Time
}

// Change is one entry of the outbox: an execution changed.
type Change struct {
	ID          int64     `json:"id"`
	ExecutionID string    `json:"executionId"`
	Application string    `json:"application"`
	Stage       string    `json:"stage,omitempty"`
	Status      string    `json:"status,omitempty"`
	At          time.Time `json:"at"`
}

// ChangeListParams reads the outbox after a change.
type ChangeListParams struct {
	AfterID int64
	// Limit caps the answer (0: 1000).
	Limit int
}

// StageClaimParams asks for the claim on a stage's current step.
type StageClaimParams struct {
	ExecutionID, Stage string
	// Claimant names the worker's step (the engine uses job, attempt and
	// step number); the stage records it as its ClaimedBy.
	Claimant string
	// Takeover, when set, is a claim the claimant may take over although it
	// still holds: the one its own job held in an attempt that failed.
	Takeover string
	Now      time.Time
	// Until is when the claim may be taken over if its holder is gone.
	Until time.Time
}

// StageClaimExtendParams renews a claim.
type StageClaimExtendParams struct {
	ExecutionID, Stage, Claimant string
	Until                        time.Time
}

// StageDueParams asks for the stages whose time has come.
type StageDueParams struct {
	// Now decides which claims have expired.
	Now time.Time
	// Before lists stages due by then (zero: Now); a time after Now also
	// lists the stages due soon.
	Before time.Time
	// QueuedBefore leaves out stages given a job (Stage.QueuedAt) after it:
	// their job is waiting in the queue.
	QueuedBefore time.Time
	// Limit caps the answer (0: 1000).
	Limit int
}

// StageRef names one stage, with its stored timer.
type StageRef struct {
	ExecutionID, Stage string
	WakeAt             time.Time
}

// StageUpdateParams is a guarded stage write.
type StageUpdateParams struct {
	Stage *model.Stage
	From  []model.StageStatus
}

// EventListParams filters EventList; results are ordered by ID ascending.
type EventListParams struct {
	Application string
	// Applications, when not empty, keeps only events of these applications
	// (what a caller may read).
	Applications []string
	Environment  string
	Kinds        []model.EventKind
	AfterID      int64
	// BeforeID, when set, keeps only events older than this ID (the oldest
	// of the page shown), for paging back with Newest.
	BeforeID int64
	Since    time.Time
	Limit    int // default 100
	// Newest returns the newest Limit events (still in ascending order).
	Newest bool
}

// ServerGroupListParams filters ServerGroupList.
type ServerGroupListParams struct {
	Application string
	// Applications, when not empty, keeps only server groups of these
	// applications (at most MaxBatchApplications: a page's worth).
	Applications     []string
	Environment      string
	IncludeDestroyed bool
}

// ServerGroupUpdateParams changes the non-nil fields of one server group.
type ServerGroupUpdateParams struct {
	Environment string
	Name        string
	From        []model.ServerGroupStatus // empty: any
	Status      *model.ServerGroupStatus
	Weight      *int
	Instances   *int
	LastGood    *bool
	// RolledBack marks a server group that a rollback moved traffic away from.
	RolledBack *bool
	// Role changes why the group exists (a promoted canary becomes production).
	Role *model.ServerGroupRole
}

// AnalysisRecord is one judged interval of a canary analysis: what was
// measured and what the judge decided, kept so it can be shown and rejudged.
type AnalysisRecord struct {
	ExecutionID string    `json:"executionId"`
	Stage       string    `json:"stage"`
	Sequence    int       `json:"sequence"`
	StartedAt   time.Time `json:"startedAt"`
	EndedAt     time.Time `json:"endedAt"`
	Outcome     string    `json:"outcome"`
	Score       float64   `json:"score"`
	Reason      string    `json:"reason"`
	// Measurements and Verdict are JSON documents owned by the analysis package.
	Measurements json.RawMessage `json:"measurements"`
	Verdict      json.RawMessage `json:"verdict"`
}
