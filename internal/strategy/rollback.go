package strategy

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// rollbackable reports whether rollback may return to a server group. A group
// "was good" when it is a production group that was never rolled back away
// from. This rule leans on two executor contracts: ActionMarkGood sets Role to
// production (so a promoted canary counts and an unpromoted one does not), and
// PlanAbort marks the group of a failed deploy rolled back (so a production
// group that never finished its deploy does not count). LastGood alone also
// counts, for groups marked good before that contract.
func rollbackable(sg model.ServerGroup) bool {
	return !sg.RolledBack && (sg.Role == model.RoleProduction || sg.LastGood)
}

// notRollbackable says why rollbackable is false, for a Why line.
func notRollbackable(sg model.ServerGroup) string {
	if sg.RolledBack {
		return "it was rolled back"
	}
	return "it is a " + string(sg.Role) + " server group"
}

// PlanRollback plans a one-click rollback: traffic returns to the newest good
// server group older than the newest serving one.
//
// history lists every server group of the application in the environment,
// destroyed ones included, in any order; c is the current cluster and wins
// where the two disagree about a group's status. The target is the newest group
// in history that is older (by Sequence) than the newest serving group, is
// rollbackable (production or last good, never rolled back), and does not run
// the version being rolled away from. With nothing serving, the target is the
// newest such group overall.
//
// A running target (up or disabled) is enabled and given all traffic; a
// destroyed one is recreated from its version as RefNew. Every other serving
// group is then disabled and, unless it is a baseline, marked rolled back, so
// a second rollback never flips back to it. It returns ErrNoRollbackTarget
// when no group qualifies.
func PlanRollback(c Cluster, history []model.ServerGroup) (Plan, error) {
	t, err := RollbackTargetOf(c, history)
	if err != nil {
		return Plan{}, err
	}
	target, serving, bad := t.ServerGroup, c.serving(), t.from
	var p Plan
	to := ref(target)
	if isRunning(target) {
		if target.Status == model.ServerGroupDisabled {
			p.add(Step{Action: ActionEnable, Ref: to, Why: fmt.Sprintf("bring back %s (%s), the last good server group", target.Name, target.Version)})
		}
		if target.Instances < 1 {
			n := max(bad.Instances, 1)
			p.add(Step{Action: ActionResize, Ref: to, Instances: n, Why: fmt.Sprintf("%s has no instances left: give it %d", target.Name, n)})
		}
		p.add(Step{Action: ActionWaitHealthy, Ref: to, Why: fmt.Sprintf("make sure %s is healthy before it takes traffic", target.Name)})
	} else {
		n := target.Instances
		if n < 1 {
			n = max(bad.Instances, 1)
		}
		to = RefNew
		p.add(Step{Action: ActionCreate, Ref: RefNew, Version: target.Version, Role: model.RoleProduction, Instances: n,
			Why: fmt.Sprintf("%s (%s) was the last good server group but is destroyed: start %d instances of %s again", target.Name, target.Version, n, target.Version)})
		p.add(Step{Action: ActionWaitHealthy, Ref: RefNew, Why: "wait until every instance passes its health check"})
	}
	p.add(Step{Action: ActionSetTraffic, Weights: map[Ref]int{to: 100}, Why: fmt.Sprintf("send all traffic back to %s", target.Version)})
	for _, sg := range serving {
		if sg.Name == target.Name {
			continue
		}
		if sg.Role != model.RoleBaseline {
			p.add(Step{Action: ActionMarkRolledBack, Ref: ref(sg), Why: fmt.Sprintf("mark %s (%s) rolled back so no rollback returns to it", sg.Name, sg.Version)})
		}
		p.add(Step{Action: ActionDisable, Ref: ref(sg), Why: fmt.Sprintf("keep %s (%s) running without traffic for inspection", sg.Name, sg.Version)})
	}
	p.add(Step{Action: ActionMarkGood, Ref: to, Why: fmt.Sprintf("%s is the last good version again", target.Version)})
	return p, nil
}

// RollbackTarget is where a one-click rollback returns: the server group it
// brings back, or, when that group is destroyed, the version it deploys
// again. PlanRollback plans from it, and the UI and CLI show it before a
// person confirms, so the preview and the rollback cannot disagree.
type RollbackTarget struct {
	// ServerGroup is the last good group rollback returns to (as the
	// current cluster has it when it is still running).
	ServerGroup model.ServerGroup `json:"serverGroup"`
	// Version is the version that takes all traffic after the rollback.
	Version string `json:"version"`
	// Redeploy is set when ServerGroup is destroyed: the rollback starts a
	// new server group of Version instead of enabling it.
	Redeploy bool `json:"redeploy"`
	// from is the newest serving group, the one rolled away from.
	from model.ServerGroup
}

// String says in words what the rollback will do, e.g. "returns traffic to
// v2 (server group hello-v002, disabled)" or "redeploys v2 (server group
// hello-v002 was destroyed)".
func (t RollbackTarget) String() string {
	if t.Redeploy {
		return fmt.Sprintf("redeploys %s (server group %s was destroyed)", t.Version, t.ServerGroup.Name)
	}
	return fmt.Sprintf("returns traffic to %s (server group %s, %s)", t.Version, t.ServerGroup.Name, t.ServerGroup.Status)
}

// RollbackTargetOf finds where a rollback of cluster c (with history, every
// server group destroyed ones included) returns; see PlanRollback for the
// rule. It returns ErrNoRollbackTarget when no group qualifies. It is pure.
func RollbackTargetOf(c Cluster, history []model.ServerGroup) (RollbackTarget, error) {
	serving := c.serving()
	bad := model.ServerGroup{Sequence: int(^uint(0) >> 1)}
	if len(serving) > 0 {
		bad = serving[len(serving)-1]
	}
	var target model.ServerGroup
	found := false
	for _, h := range history {
		if cur, ok := c.find(h.Name); ok {
			h = cur
		}
		if h.Sequence >= bad.Sequence || !rollbackable(h) || (bad.Version != "" && h.Version == bad.Version) {
			continue
		}
		if !found || h.Sequence > target.Sequence {
			target, found = h, true
		}
	}
	if !found {
		return RollbackTarget{}, noTarget(serving)
	}
	return RollbackTarget{ServerGroup: target, Version: target.Version, Redeploy: !isRunning(target), from: bad}, nil
}

func noTarget(serving []model.ServerGroup) error {
	if len(serving) == 0 {
		return fmt.Errorf("%w (nothing is serving and no server group qualifies)", ErrNoRollbackTarget)
	}
	names := make([]string, 0, len(serving))
	for _, sg := range serving {
		names = append(names, fmt.Sprintf("%s (%s)", sg.Name, sg.Version))
	}
	return fmt.Errorf("%w (serving: %s)", ErrNoRollbackTarget, strings.Join(names, ", "))
}
