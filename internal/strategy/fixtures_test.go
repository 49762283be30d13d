package strategy

import (
	"github.com/gennaker/gennaker/internal/model"
)

// group builds a server group of the app "app": seq 1 is app-v001 running v1.
func group(seq int, status model.ServerGroupStatus, weight, instances int) model.ServerGroup {
	return model.ServerGroup{
		Name: model.ServerGroupName("app", seq), Application: "app", Environment: "prod",
		Sequence: seq, Version: "v" + itoa(seq), Role: model.RoleProduction,
		Status: status, Weight: weight, Instances: instances,
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// serving is an up group with all the traffic, marked good.
func serving(seq, instances int) model.ServerGroup {
	g := group(seq, model.ServerGroupUp, 100, instances)
	g.LastGood = true
	return g
}

func disabled(seq int) model.ServerGroup { return group(seq, model.ServerGroupDisabled, 0, 2) }

func destroyed(seq int) model.ServerGroup { return group(seq, model.ServerGroupDestroyed, 0, 2) }

func rolledBack(g model.ServerGroup) model.ServerGroup { g.RolledBack = true; return g }

func role(g model.ServerGroup, r model.ServerGroupRole) model.ServerGroup { g.Role = r; return g }

func weight(g model.ServerGroup, w int) model.ServerGroup { g.Weight = w; return g }

func cluster(gs ...model.ServerGroup) Cluster { return Cluster{ServerGroups: gs} }

func ptr[T any](v T) *T { return &v }

func setWeight(w int) model.CanaryStep { return model.CanaryStep{SetWeight: ptr(w)} }

func pause(d model.Duration) model.CanaryStep {
	return model.CanaryStep{Pause: &model.PauseStep{Duration: d}}
}

func analyse(n int) model.CanaryStep {
	return model.CanaryStep{Analysis: &model.AnalysisStep{Interval: model.Duration(30e9), Intervals: n}}
}

func markedGood(g model.ServerGroup) model.ServerGroup { g.LastGood = true; return g }
