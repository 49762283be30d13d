package store

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// ConfigDeleteParams names the object ConfigDelete removes: an
// application, an environment or a pipeline.
type ConfigDeleteParams struct {
	// Kind is model.KindApplication, model.KindEnvironment, model.KindPipeline,
	// model.KindNotification or model.KindSLOStored (a resolved OpenSLO SLO).
	Kind string
	Name string
	// Audit, when set, is appended to the audit log in the deletion's
	// transaction (AuditAppend), so the log has the deletion exactly when
	// it happened.
	Audit *model.AuditEntry
}

// DeleteResult says what ConfigDelete removed.
type DeleteResult struct {
	// Objects are the config objects removed, e.g. "Application/hello",
	// "Pipeline/hello-release".
	Objects []string `json:"objects"`
	// Executions counts the executions removed (with their stages and
	// analysis records): an application's; a pipeline's and an
	// environment's stay as the application's history.
	Executions int64 `json:"executions"`
	// ServerGroups counts the server group records removed.
	ServerGroups int64 `json:"serverGroups"`
	// TrafficSeconds counts the stored seconds of front-door traffic removed.
	TrafficSeconds int64 `json:"trafficSeconds"`
}

// RunningError refuses a deletion while executions of what it removes run.
// It wraps ErrConflict.
type RunningError struct {
	Object     string   // "Application/hello"
	Executions []string // IDs of running executions (at most a few)
}

func (e *RunningError) Error() string {
	return fmt.Sprintf("%s has running executions (%s): wait for them to end or cancel them (`gennaker cancel ID`), then delete it again; `gennaker delete --force` cancels them first",
		e.Object, strings.Join(e.Executions, ", "))
}

func (e *RunningError) Unwrap() error { return ErrConflict }

// DeleteKinds are the kinds ConfigDelete removes.
var DeleteKinds = []string{model.KindApplication, model.KindEnvironment, model.KindPipeline, model.KindNotification, model.KindSLOStored}

// DeleteCount says which count of DeleteResult a delete statement adds to.
type DeleteCount int

const (
	// CountNone: the statement's rows are not reported (leases, changes).
	CountNone DeleteCount = iota
	// CountPipelines: the statement returns the names of the pipelines it removed.
	CountPipelines
	// CountExecutions adds to DeleteResult.Executions.
	CountExecutions
	// CountServerGroups adds to DeleteResult.ServerGroups.
	CountServerGroups
	// CountTraffic adds to DeleteResult.TrafficSeconds.
	CountTraffic
	// CountObject: the statement removes the object itself (one row).
	CountObject
)

// DeleteStatement is one named statement of ConfigDelete.
type DeleteStatement struct {
	Query string
	Count DeleteCount
}

// DeleteStatements are the statements both stores run for a ConfigDelete
// of kind, in order (what names the object last), after <Kind>Running.
// The SQL is each store's queries/delete.sql.
func DeleteStatements(kind string) []DeleteStatement {
	switch kind {
	case model.KindApplication:
		return []DeleteStatement{
			{"ApplicationDeleteTriggers", CountNone},
			{"ApplicationDeleteFirings", CountNone},
			{"ApplicationDeletePipelines", CountPipelines},
			{"ApplicationDeleteExecutions", CountExecutions},
			{"ApplicationDeleteServerGroups", CountServerGroups},
			{"ApplicationDeleteTraffic", CountTraffic},
			// Its SLOs, their status and history, and its front-door
			// minutes: a new application of the same name starts clean.
			{"ApplicationDeleteTrafficMinutes", CountNone},
			{"ApplicationDeleteSLOPoints", CountNone},
			{"ApplicationDeleteSLOStatus", CountNone},
			{"ApplicationDeleteSLOs", CountNone},
			{"ApplicationDeleteLeases", CountNone},
			{"ApplicationDeleteChanges", CountNone},
			{"ApplicationDelete", CountObject},
		}
	case model.KindEnvironment:
		return []DeleteStatement{
			{"EnvironmentDeleteServerGroups", CountServerGroups},
			{"EnvironmentDeleteTraffic", CountTraffic},
			{"EnvironmentDeleteTrafficMinutes", CountNone},
			{"EnvironmentDeleteLeases", CountNone},
			{"EnvironmentDelete", CountObject},
		}
	case model.KindPipeline:
		return []DeleteStatement{{"PipelineDeleteTriggers", CountNone}, {"PipelineDelete", CountObject}}
	case model.KindNotification:
		// Its deliveries go with it: nothing is left to send or to show.
		return []DeleteStatement{{"NotificationDeleteDeliveries", CountNone}, {"NotificationDelete", CountObject}}
	case model.KindSLOStored:
		// Its status and history go with it; events of its alerts stay.
		return []DeleteStatement{{"SLODeleteStatus", CountNone}, {"SLODeletePoints", CountNone}, {"SLODelete", CountObject}}
	}
	return nil
}

// Add records n rows of a statement that counts c.
func (r *DeleteResult) Add(c DeleteCount, n int64) {
	switch c {
	case CountExecutions:
		r.Executions += n
	case CountServerGroups:
		r.ServerGroups += n
	case CountTraffic:
		r.TrafficSeconds += n
	}
}

// CheckDeleteKind refuses a kind ConfigDelete does not remove.
func CheckDeleteKind(kind string) error {
	if DeleteStatements(kind) == nil {
		return fmt.Errorf("cannot delete a %q: give one of %s", kind, strings.Join(DeleteKinds, ", "))
	}
	return nil
}
