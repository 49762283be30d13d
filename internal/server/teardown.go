package server

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/stage"
)

// teardown stops what a deleted object runs, by its environment's target:
// the local provider's server groups, front doors and front-door
// processes; a Kubernetes environment's server groups (Deployments) through
// its target.
type teardown struct {
	local   *local.Provider // nil on a shared store
	targets stage.Targets
}

var _ deletion.Teardown = teardown{}

func (t teardown) StopServerGroup(ctx context.Context, env model.Environment, sg model.ServerGroup) error {
	if isLocal(env) {
		if t.local == nil {
			return fmt.Errorf("environment %s: %w", env.Name, errLocalOnSharedStore)
		}
		return t.local.Destroy(ctx, refOf(sg))
	}
	target, err := t.targets(env)
	if err != nil {
		return err
	}
	return target.Destroy(ctx, sg)
}

// RemoveFrontDoor closes a local front door; a Kubernetes environment's
// Service and HTTPRoute of the application are left (see docs/concepts.md).
func (t teardown) RemoveFrontDoor(ctx context.Context, app string, env model.Environment) error {
	if !isLocal(env) || t.local == nil {
		return nil
	}
	return t.local.RemoveFrontDoor(ctx, app, env.Name)
}

// StopEnvironment stops a local environment's front-door process, and any
// server group the provider still runs there without a record.
func (t teardown) StopEnvironment(ctx context.Context, env model.Environment) error {
	if !isLocal(env) || t.local == nil {
		return nil
	}
	for _, ref := range t.local.GroupsIn(env.Name) {
		if err := t.local.Destroy(ctx, ref); err != nil {
			return err
		}
	}
	return t.local.StopEnvironment(ctx, env.Name)
}

func isLocal(env model.Environment) bool {
	return env.Target.Kind == model.TargetLocal || env.Target.Kind == ""
}
