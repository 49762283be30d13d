// Package deploy is the service behind `gennaker deploy`, `status`,
// `rollback` and `logs`: it turns a request to put a version into an
// environment into a pipeline execution, and reports what runs where.
package deploy

import (
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// Request asks to deploy a version of an application to an environment.
type Request struct {
	Application string            `json:"application"`
	Environment string            `json:"environment"`
	Version     string            `json:"version"`
	Pipeline    string            `json:"pipeline,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	// Env adds environment variables to this version's instances.
	Env        map[string]string `json:"env,omitempty"`
	CommitSHA  string            `json:"commitSha,omitempty"`
	CommitTime *time.Time        `json:"commitTime,omitempty"`
	// Actor is the authenticated caller (never read from a request body).
	Actor string `json:"-"`
	// Guard checks and audits the execution the deploy starts (see engine.Guard).
	Guard engine.Guard `json:"-"`
}

// RollbackRequest asks to send an environment's traffic back to the previous good version.
type RollbackRequest struct {
	Application string `json:"application"`
	Environment string `json:"environment"`
	Reason      string `json:"reason,omitempty"`
	// Actor is the authenticated caller (never read from a request body).
	Actor string `json:"-"`
	// Guard checks and audits the rollback's execution (see engine.Guard).
	Guard engine.Guard `json:"-"`
}

// AppStatus is what runs of an application, per environment.
type AppStatus struct {
	Application  string              `json:"application"`
	Environments []EnvironmentStatus `json:"environments"`
}

// EnvironmentStatus is an application's server groups in one environment.
type EnvironmentStatus struct {
	Environment   string              `json:"environment"`
	FrontDoor     string              `json:"frontDoor,omitempty"`
	FrontDoorURL  string              `json:"frontDoorURL,omitempty"` // http:// or https:// (frontDoorTLS)
	ServerGroups  []ServerGroupStatus `json:"serverGroups"`
	LastExecution *model.Execution    `json:"lastExecution,omitempty"`
	// Error is why the target could not be read (the first server group's
	// error, as one target serves them all), such as refused credentials.
	Error string `json:"error,omitempty"`
	// Rollback says where a rollback would return now (set by Status, not
	// by Overview).
	Rollback *RollbackPreview `json:"rollback,omitempty"`
}

// RollbackPreview is where a one-click rollback would return.
type RollbackPreview struct {
	// Target is nil when no rollback is possible.
	Target *strategy.RollbackTarget `json:"target,omitempty"`
	// Summary says it in words: "rolling back hello in local returns
	// traffic to v2 (server group hello-v002, disabled)", "... redeploys v2
	// (server group hello-v002 was destroyed)", or why no rollback is
	// possible.
	Summary string `json:"summary"`
}

// ServerGroupStatus is a server group with its live instance health.
type ServerGroupStatus struct {
	model.ServerGroup
	Healthy int `json:"healthy"`
	Total   int `json:"total"`
	// EffectiveWeight is the percentage of requests the group really gets:
	// its Weight where the target routes exact weights; where traffic
	// follows replica counts (model.TargetSpec.SplitsByReplicas), its share
	// of the healthy instances of the groups with a weight.
	EffectiveWeight int `json:"effectiveWeight"`
	// Error is why its health could not be read; Healthy is then unknown
	// (0) and Total the instances it should have.
	Error string `json:"error,omitempty"`
	// HealthUnread is set when the target was not asked (a page of many
	// applications reads only the health that costs no request): Healthy
	// is then unknown (0) and Total the instances it should have.
	HealthUnread bool `json:"healthUnread,omitempty"`
}
