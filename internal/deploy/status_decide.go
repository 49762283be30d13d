package deploy

import (
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// StatusFacts is everything an application's status is decided from, read
// beforehand: BuildStatus does no I/O, so one application's page and a page
// of many applications show the same thing from reads of either size.
type StatusFacts struct {
	// Environments is every environment, in the order to show them.
	Environments []model.Environment
	// ServerGroups is the application's groups in every environment,
	// oldest first (ServerGroupList's order).
	ServerGroups []model.ServerGroup
	// Latest is the newest execution that may change each environment, by
	// environment name.
	Latest map[string]*model.Execution
	// Health is the live health read from the targets; a group missing
	// from it was not asked (see ServerGroupStatus.HealthUnread).
	Health map[GroupKey]Health
	// History is every group of the application, destroyed ones included,
	// when the caller read it: each environment then says where a rollback
	// would return (EnvironmentStatus.Rollback). Nil: not told.
	History []model.ServerGroup
}

// GroupKey names a server group: names are numbered per environment.
type GroupKey struct{ Environment, Name string }

// Health is what a target said about a server group's instances.
type Health struct {
	// Read is set when the target was asked (it was, or the group is being
	// created, when there is nothing to ask yet).
	Read           bool
	Healthy, Total int
	// Error is why the target could not be read.
	Error string
}

// BuildStatus decides what runs of app in each environment from facts: an
// environment shows when the application has server groups there or an
// execution changed it.
func BuildStatus(app string, facts StatusFacts) *AppStatus {
	out := &AppStatus{Application: app, Environments: []EnvironmentStatus{}}
	for _, env := range facts.Environments {
		es := EnvironmentStatus{Environment: env.Name, FrontDoor: env.FrontDoors[app], ServerGroups: []ServerGroupStatus{}}
		if es.FrontDoor != "" {
			scheme := "http://"
			if env.FrontDoorTLS != nil {
				scheme = "https://"
			}
			es.FrontDoorURL = scheme + es.FrontDoor
		}
		unread := false
		for _, sg := range facts.ServerGroups {
			if sg.Environment != env.Name {
				continue
			}
			st := ServerGroupStatus{ServerGroup: sg, Total: sg.Instances}
			switch h, ok := facts.Health[GroupKey{env.Name, sg.Name}]; {
			case !ok || !h.Read:
				st.HealthUnread, unread = true, true
			case h.Error != "":
				st.Error = h.Error
				if es.Error == "" {
					es.Error = h.Error
				}
			default:
				st.Healthy, st.Total = h.Healthy, h.Total
			}
			es.ServerGroups = append(es.ServerGroups, st)
		}
		if unread {
			// Shares by healthy replicas cannot be told without the
			// health: show the weights asked for.
			setEffectiveWeights(model.TargetSpec{}, es.ServerGroups)
		} else {
			setEffectiveWeights(env.Target, es.ServerGroups)
		}
		es.LastExecution = facts.Latest[env.Name]
		if facts.History != nil {
			es.Rollback = PreviewRollback(app, env.Name, facts.ServerGroups, facts.History)
		}
		if len(es.ServerGroups) > 0 || es.LastExecution != nil {
			out.Environments = append(out.Environments, es)
		}
	}
	return out
}

// PreviewRollback says where a rollback of app in env would return, from
// the same pure function the rollback stage plans with
// (strategy.RollbackTargetOf), so the preview and the rollback agree.
// groups are the current (not destroyed) groups, history every group; both
// may hold other environments'.
func PreviewRollback(app, env string, groups, history []model.ServerGroup) *RollbackPreview {
	var cluster strategy.Cluster
	var hist []model.ServerGroup
	for _, sg := range groups {
		if sg.Environment == env && sg.Status != model.ServerGroupDestroyed {
			cluster.ServerGroups = append(cluster.ServerGroups, sg)
		}
	}
	for _, sg := range history {
		if sg.Environment == env {
			hist = append(hist, sg)
		}
	}
	t, err := strategy.RollbackTargetOf(cluster, hist)
	if err != nil {
		return &RollbackPreview{Summary: "no rollback possible: " + err.Error()}
	}
	return &RollbackPreview{Target: &t, Summary: "rolling back " + app + " in " + env + " " + t.String()}
}

// LatestByEnvironment picks from execs (newest first) the newest that may
// change each of envs.
func LatestByEnvironment(execs []model.Execution, envs []model.Environment) map[string]*model.Execution {
	out := map[string]*model.Execution{}
	for _, env := range envs {
		for i := range execs {
			if touches(execs[i].Spec, env.Name) {
				out[env.Name] = &execs[i]
				break
			}
		}
	}
	return out
}

// setEffectiveWeights fills in what share of requests each group really
// gets: where traffic follows replica counts, its share of the healthy
// instances of the up groups with a weight; elsewhere its weight.
func setEffectiveWeights(t model.TargetSpec, groups []ServerGroupStatus) {
	weights, healthy := map[string]int{}, map[string]int{}
	for _, g := range groups {
		if g.Status == model.ServerGroupUp {
			weights[g.Name], healthy[g.Name] = g.Weight, g.Healthy
		}
	}
	eff := strategy.EffectiveWeights(weights, healthy)
	for i := range groups {
		groups[i].EffectiveWeight = groups[i].Weight
		if t.SplitsByReplicas() {
			groups[i].EffectiveWeight = eff[groups[i].Name]
		}
	}
}

func touches(pl model.Pipeline, env string) bool {
	for _, st := range pl.Stages {
		if st.Changes(env) {
			return true
		}
	}
	return false
}
