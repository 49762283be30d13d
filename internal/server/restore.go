package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// restoreLocal brings the local target back after a (re)start: instances of
// server groups that should run are re-adopted (not restarted) or started,
// instances of anything else are stopped, and every front door gets its
// stored traffic split back.
func restoreLocal(ctx context.Context, st store.Store, p *local.Provider, log *slog.Logger) error {
	apps, err := st.ApplicationList(ctx, store.ApplicationListParams{})
	if err != nil {
		return err
	}
	envs, err := st.EnvironmentList(ctx)
	if err != nil {
		return err
	}
	byApp := map[string]model.Application{}
	for _, a := range apps {
		byApp[a.Name] = a
	}
	var desired []local.ServerGroupSpec
	type door struct {
		app model.Application
		env model.Environment
	}
	var doors []door
	for _, env := range envs {
		if env.Target.Kind != model.TargetLocal && env.Target.Kind != "" {
			continue
		}
		groups, err := st.ServerGroupList(ctx, store.ServerGroupListParams{Environment: env.Name})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, sg := range groups {
			app, ok := byApp[sg.Application]
			if !ok || sg.Status == model.ServerGroupDestroyed {
				continue
			}
			desired = append(desired, specOf(sg, app))
			if !seen[app.Name] && env.FrontDoors[app.Name] != "" {
				seen[app.Name] = true
				doors = append(doors, door{app, env})
			}
		}
	}
	if err := p.Reconcile(ctx, desired); err != nil {
		return fmt.Errorf("re-adopting local instances: %w", err)
	}
	t := localTarget{p}
	for _, d := range doors {
		if err := stage.SyncRoutes(ctx, st, t, d.app, d.env); err != nil {
			log.Warn("could not restore a front door", "application", d.app.Name, "environment", d.env.Name, "err", err)
		}
	}
	if len(desired) > 0 {
		log.Info("local target restored", "server_groups", len(desired), "front_doors", len(doors))
	}
	return nil
}
