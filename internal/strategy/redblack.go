package strategy

import (
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// planRedBlack: create new, wait, 100% to new, disable every older running
// group, mark good, then destroy disabled groups beyond MaxRemaining (default
// 1). It keeps the newest disabled groups that were never rolled back: a group
// marked rolled back is the first to go, as rollback can never return to it.
func planRedBlack(c Cluster, r Request) Plan {
	var p Plan
	createAndWait(&p, r, model.RoleProduction, r.Instances,
		fmt.Sprintf("start %d instances of %s", r.Instances, r.Version))
	p.add(Step{Action: ActionSetTraffic, Weights: map[Ref]int{RefNew: 100}, Why: "send all traffic to the new server group"})

	var disabled []model.ServerGroup // after this deploy, newest first
	for _, sg := range slices.Backward(c.sorted()) {
		switch sg.Status {
		case model.ServerGroupUp:
			p.add(Step{Action: ActionDisable, Ref: ref(sg),
				Why: fmt.Sprintf("keep %s (%s) running without traffic for instant rollback", sg.Name, sg.Version)})
			disabled = append(disabled, sg)
		case model.ServerGroupDisabled:
			disabled = append(disabled, sg)
		}
	}
	p.add(Step{Action: ActionMarkGood, Ref: RefNew, Why: "the new server group is now the last good one; rollback returns here"})

	keep := r.Strategy.MaxRemaining
	if keep == 0 {
		keep = 1
	}
	pruneDisabled(&p, disabled, keep, "red-black")
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pruneDisabled destroys disabled groups (given newest first) beyond keep. It
// prefers keeping groups rollback could return to; among equals, the newest.
func pruneDisabled(p *Plan, disabled []model.ServerGroup, keep int, strategy string) {
	disabled = slices.Clone(disabled)
	slices.SortStableFunc(disabled, func(a, b model.ServerGroup) int {
		return boolInt(!rollbackable(a)) - boolInt(!rollbackable(b))
	})
	for i, sg := range disabled {
		if i < keep {
			continue
		}
		why := fmt.Sprintf("%s keeps %d disabled server group(s): destroy %s (%s)", strategy, keep, sg.Name, sg.Version)
		if !rollbackable(sg) {
			why = fmt.Sprintf("destroy %s (%s): rollback will never return to it (%s)", sg.Name, sg.Version, notRollbackable(sg))
		}
		p.add(Step{Action: ActionDestroy, Ref: ref(sg), Why: why})
	}
}
