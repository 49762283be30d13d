package deploy

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// recentExecutions is how far back Status looks for the last execution of
// an application in each environment.
const recentExecutions = 50

// Status reports the server groups of an application in every environment,
// with their live health read from the targets.
func (s *Service) Status(ctx context.Context, app string) (*AppStatus, error) {
	if _, err := s.Store.ApplicationGet(ctx, app); err != nil {
		return nil, fmt.Errorf("application %q: %w", app, err)
	}
	envs, err := s.Store.EnvironmentList(ctx)
	if err != nil {
		return nil, err
	}
	execs, err := s.Store.ExecutionList(ctx, store.ExecutionListParams{Application: app, Limit: recentExecutions})
	if err != nil {
		return nil, err
	}
	history, err := s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: app, IncludeDestroyed: true})
	if err != nil {
		return nil, err
	}
	groups := make([]model.ServerGroup, 0, len(history))
	for _, sg := range history {
		if sg.Status != model.ServerGroupDestroyed {
			groups = append(groups, sg)
		}
	}
	facts := StatusFacts{
		Environments: envs, ServerGroups: groups, History: history,
		Latest: LatestByEnvironment(execs, envs),
		Health: s.readHealth(ctx, envs, groups, func(model.Environment) bool { return true }),
	}
	return BuildStatus(app, facts), nil
}

// Overview is what runs of a page of applications, read in a fixed number
// of queries however many applications and environments there are.
type Overview struct {
	// Statuses holds each application's status, by name.
	Statuses map[string]*AppStatus
	// Latest holds each application's newest execution, by name, without
	// stages (absent when it has none).
	Latest map[string]*model.Execution
}

// Overview reports the status of each of apps (at most
// store.MaxBatchApplications: a page of them) in three queries: the
// environments, the server groups of all apps, and their newest executions.
//
// Live health is read only where it costs no request: from the targets
// this process runs itself (local), whose health is in memory. A group in
// any other environment (Kubernetes: one API request per group, up to
// seconds when a cluster is slow) shows its stored instances with its
// health marked unread (ServerGroupStatus.HealthUnread); Status, for one
// application, reads it.
func (s *Service) Overview(ctx context.Context, apps []string) (*Overview, error) {
	out := &Overview{Statuses: make(map[string]*AppStatus, len(apps)), Latest: map[string]*model.Execution{}}
	if len(apps) == 0 {
		return out, nil
	}
	envs, err := s.Store.EnvironmentList(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := s.Store.ServerGroupList(ctx, store.ServerGroupListParams{Applications: apps})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	latest, err := s.Store.ExecutionLatest(ctx, store.ExecutionLatestParams{Applications: apps, Environments: names})
	if err != nil {
		return nil, err
	}
	facts := make(map[string]*StatusFacts, len(apps))
	for _, app := range apps {
		facts[app] = &StatusFacts{Environments: envs, Latest: map[string]*model.Execution{}}
	}
	for _, g := range groups {
		if f := facts[g.Application]; f != nil {
			f.ServerGroups = append(f.ServerGroups, g)
		}
	}
	for i := range latest {
		l := &latest[i]
		f := facts[l.Application]
		switch {
		case f == nil:
		case l.Environment == "":
			out.Latest[l.Application] = &l.Execution
		default:
			f.Latest[l.Environment] = &l.Execution
		}
	}
	health := s.readHealth(ctx, envs, groups, func(e model.Environment) bool { return e.Target.Kind == model.TargetLocal })
	for _, app := range apps {
		f := facts[app]
		f.Health = health
		out.Statuses[app] = BuildStatus(app, *f)
	}
	return out, nil
}

// readHealth asks the inspector for the live health of every group that
// is not being created, in the environments read says to read.
func (s *Service) readHealth(ctx context.Context, envs []model.Environment, groups []model.ServerGroup, read func(model.Environment) bool) map[GroupKey]Health {
	out := map[GroupKey]Health{}
	if s.Inspector == nil {
		return out
	}
	byName := make(map[string]model.Environment, len(envs))
	for _, e := range envs {
		byName[e.Name] = e
	}
	for _, sg := range groups {
		env, ok := byName[sg.Environment]
		if !ok || !read(env) {
			continue
		}
		h := Health{Read: true}
		if sg.Status != model.ServerGroupCreating {
			var err error
			if h.Healthy, h.Total, err = s.Inspector.Health(ctx, env, sg); err != nil {
				h.Healthy, h.Total, h.Error = 0, sg.Instances, err.Error()
			}
		} else {
			h.Total = sg.Instances
		}
		out[GroupKey{sg.Environment, sg.Name}] = h
	}
	return out
}
