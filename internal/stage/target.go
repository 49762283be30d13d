package stage

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Target is what a deploy asks of the place it deploys to (the local
// provider, later Kubernetes). Every method is idempotent.
type Target interface {
	// Ensure starts the server group's instances unless they run already.
	Ensure(ctx context.Context, sg model.ServerGroup, app model.Application) error
	// CheckHealthy looks once: true when every instance passes its health
	// check; an error in the instance's own words when one failed, or when
	// waited (measured by the caller from its stored start) is past the
	// group's startup timeout; false to look again later. It never blocks
	// for long: a wait is the stage's, measured from stored times.
	CheckHealthy(ctx context.Context, sg model.ServerGroup, waited time.Duration) (bool, error)
	Resize(ctx context.Context, sg model.ServerGroup, app model.Application, instances int) error
	Destroy(ctx context.Context, sg model.ServerGroup) error
	// Route sets the whole traffic split of an application in an environment.
	Route(ctx context.Context, app model.Application, env model.Environment, routes []Route) error
	// ConfirmTraffic looks once whether the traffic split routes (the whole
	// split, as Route was last given it) really reaches the groups it names:
	// true when requests go only to groups with a weight above zero and
	// every such group with ready instances gets some; otherwise false and
	// what is stale, in words a person can act on. A target whose Route
	// takes effect before it returns (the local front door) says true at
	// once. An error is a failure to look (the API server is down), not a
	// verdict: the caller looks again until its bounded wait runs out.
	ConfirmTraffic(ctx context.Context, app model.Application, env model.Environment, routes []Route) (reached bool, detail string, err error)
	// Counters reads the per-server-group request counters of the front door.
	Counters(ctx context.Context, app, env string) (map[string]analysis.Counters, error)
}

// ManifestRenderer is a target that can say exactly what it applies for a
// server group (Kubernetes: the rendered manifest set). A deploy records it
// per server group in its output, for diff and audit.
type ManifestRenderer interface {
	Manifests(sg model.ServerGroup, app model.Application) (string, error)
}

// DeployChecker is a target that can tell, before a deploy or rollback
// starts anything, that it cannot carry one out in an environment (the
// local target: the environment has no front door for the application).
// The deploy stage asks it first and fails with its error, so nothing is
// started that the stage could not route to or undo.
type DeployChecker interface {
	CheckDeploy(app model.Application, env model.Environment) error
}

// checkTarget asks t whether it can deploy app to env, when it can tell.
func checkTarget(t Target, app model.Application, env model.Environment) error {
	if c, ok := t.(DeployChecker); ok {
		return c.CheckDeploy(app, env)
	}
	return nil
}

// Route sends Weight percent of an application's traffic to a server group.
type Route struct {
	ServerGroup string
	Weight      int
	// Canary marks the route that header-routed canary requests go to.
	Canary bool
}

// Targets finds the target of an environment.
type Targets func(env model.Environment) (Target, error)

// DeployStore is what deploy and rollback stages read. They write nothing
// themselves: their changes, the lease included, go back to the engine as
// Result.Writes.
type DeployStore interface {
	ApplicationGet(ctx context.Context, name string) (*model.Application, error)
	EnvironmentGet(ctx context.Context, name string) (*model.Environment, error)
	ServerGroupGet(ctx context.Context, environment, name string) (*model.ServerGroup, error)
	ServerGroupList(ctx context.Context, params store.ServerGroupListParams) ([]model.ServerGroup, error)
	ServerGroupNextSequence(ctx context.Context, application, environment string) (int, error)
	ExecutionList(ctx context.Context, params store.ExecutionListParams) ([]model.Execution, error)
	LeaseGet(ctx context.Context, key string) (store.LeaseHolder, bool, error)
}
