package stage

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// routesFor is the traffic split of a cluster: its up groups with their
// weights; the canary-role group also takes header-routed canary requests.
func routesFor(groups []model.ServerGroup) []Route {
	var routes []Route
	for _, sg := range groups {
		if sg.Status != model.ServerGroupUp {
			continue
		}
		routes = append(routes, Route{ServerGroup: sg.Name, Weight: sg.Weight, Canary: sg.Role == model.RoleCanary})
	}
	return routes
}

// withUpdates is groups as they will be once updates are committed (a copy;
// updates of groups not in the list change nothing).
func withUpdates(groups []model.ServerGroup, updates []store.ServerGroupUpdateParams) []model.ServerGroup {
	out := make([]model.ServerGroup, len(groups))
	copy(out, groups)
	for _, p := range updates {
		for i := range out {
			if out[i].Name == p.Name {
				applyUpdate(&out[i], p)
			}
		}
	}
	return out
}

// applyUpdate makes p's change to sg in memory, as the store will.
func applyUpdate(sg *model.ServerGroup, p store.ServerGroupUpdateParams) {
	if p.Status != nil {
		sg.Status = *p.Status
	}
	if p.Weight != nil {
		sg.Weight = *p.Weight
	}
	if p.Instances != nil {
		sg.Instances = *p.Instances
	}
	if p.LastGood != nil {
		sg.LastGood = *p.LastGood
	}
	if p.RolledBack != nil {
		sg.RolledBack = *p.RolledBack
	}
	if p.Role != nil {
		sg.Role = *p.Role
	}
}

// weightUpdates gives every group its weight in want (groups not named get
// 0), for the groups whose weight changes.
func weightUpdates(groups []model.ServerGroup, want map[string]int) []store.ServerGroupUpdateParams {
	var updates []store.ServerGroupUpdateParams
	for _, sg := range groups {
		weight := want[sg.Name]
		if sg.Weight != weight {
			updates = append(updates, store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Weight: &weight})
		}
	}
	return updates
}

// lastGoodUpdates make target (in env) the last good server group, and a
// production one (a promoted canary is production from then on): every
// other group with the mark loses it.
func lastGoodUpdates(history []model.ServerGroup, env, target string) []store.ServerGroupUpdateParams {
	var updates []store.ServerGroupUpdateParams
	no, yes, prod := false, true, model.RoleProduction
	for _, sg := range history {
		if sg.LastGood && sg.Name != target {
			updates = append(updates, store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, LastGood: &no})
		}
	}
	return append(updates, store.ServerGroupUpdateParams{Environment: env, Name: target, LastGood: &yes, Role: &prod})
}

// updateWrites turns updates into the writes that commit them.
func updateWrites(updates []store.ServerGroupUpdateParams) []Write {
	writes := make([]Write, 0, len(updates))
	for _, p := range updates {
		writes = append(writes, ServerGroupUpdate{Params: p})
	}
	return writes
}

// reroute sends traffic as the cluster will be once updates are committed
// (one call to the target) and returns the writes that commit them. groups
// is the cluster as read; nil reads it.
func (d *Deploy) reroute(ctx context.Context, w world, groups []model.ServerGroup, updates ...store.ServerGroupUpdateParams) ([]Write, error) {
	if groups == nil {
		var err error
		if groups, err = d.cluster(ctx, w, false); err != nil {
			return nil, err
		}
	}
	if err := route(ctx, w.target, w.app, w.env, withUpdates(groups, updates)); err != nil {
		return nil, err
	}
	return updateWrites(updates), nil
}

func route(ctx context.Context, t Target, app model.Application, env model.Environment, groups []model.ServerGroup) error {
	if err := t.Route(ctx, app, env, routesFor(groups)); err != nil {
		return fmt.Errorf("routing traffic of %s in %s: %w", app.Name, env.Name, err)
	}
	return nil
}

// SyncRoutes applies the stored split of app in env (up groups, with their
// weights; the canary-role group takes header-routed canary requests) to a
// target. The server calls it at startup to restore the front doors.
func SyncRoutes(ctx context.Context, s DeployStore, t Target, app model.Application, env model.Environment) error {
	groups, err := s.ServerGroupList(ctx, store.ServerGroupListParams{Application: app.Name, Environment: env.Name})
	if err != nil {
		return err
	}
	return route(ctx, t, app, env, groups)
}
