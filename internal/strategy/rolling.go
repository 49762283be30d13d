package strategy

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// planRolling replaces the serving groups' instances BatchSize (default 1) at
// a time. Each batch grows the new group first, waits for it, moves traffic in
// proportion to the instance counts the batch ends with, and only then shrinks
// the old groups (oldest first). Capacity therefore never drops below the
// smaller of the old and the requested instance counts, and no instance loses
// its traffic share before it stops. When every old instance is gone the new
// group is marked good and the emptied old groups are destroyed.
func planRolling(c Cluster, r Request) Plan {
	olds := c.serving()
	if len(olds) == 0 {
		var p Plan
		createAndWait(&p, r, model.RoleProduction, r.Instances,
			fmt.Sprintf("nothing is serving yet, so rolling starts all %d instances of %s at once", r.Instances, r.Version))
		cutOver(&p, "send all traffic to the new server group")
		return p
	}
	batch := r.Strategy.BatchSize
	if batch == 0 {
		batch = 1
	}
	count := make([]int, len(olds))
	remaining := 0
	for i, sg := range olds {
		count[i] = sg.Instances
		remaining += sg.Instances
	}

	var p Plan
	var last map[Ref]int
	for n := 0; n < r.Instances || remaining > 0; {
		if n < r.Instances {
			grown := min(n+batch, r.Instances)
			if n == 0 {
				p.add(Step{Action: ActionCreate, Ref: RefNew, Version: r.Version, Role: model.RoleProduction, Instances: grown,
					Why: fmt.Sprintf("start %s with the first batch: %d of %d instances", r.Version, grown, r.Instances)})
			} else {
				p.add(Step{Action: ActionResize, Ref: RefNew, Instances: grown,
					Why: fmt.Sprintf("grow the new server group to %d of %d instances", grown, r.Instances)})
			}
			p.add(Step{Action: ActionWaitHealthy, Ref: RefNew, Why: fmt.Sprintf("wait until all %d new instances are healthy", grown)})
			n = grown
		}
		before := append([]int(nil), count...)
		for take, i := batch, 0; take > 0 && i < len(count); i++ {
			d := min(take, count[i])
			count[i] -= d
			take -= d
			remaining -= d
		}
		shares := []share{{RefNew, n}}
		for i, sg := range olds {
			shares = append(shares, share{ref(sg), count[i]})
		}
		if w := proportional(shares); !sameWeights(w, last) {
			p.add(Step{Action: ActionSetTraffic, Weights: w, Why: "move traffic in proportion to instances: " + describe(w, shares)})
			last = w
		}
		for i, sg := range olds {
			if count[i] != before[i] {
				p.add(Step{Action: ActionResize, Ref: ref(sg), Instances: count[i],
					Why: fmt.Sprintf("shrink %s (%s) to %d instances", sg.Name, sg.Version, count[i])})
			}
		}
	}
	p.add(Step{Action: ActionMarkGood, Ref: RefNew, Why: "the new server group is now the last good one; rollback returns here"})
	for _, sg := range olds {
		p.add(Step{Action: ActionDestroy, Ref: ref(sg), Why: fmt.Sprintf("every instance of %s (%s) is replaced: destroy it", sg.Name, sg.Version)})
	}
	return p
}

// describe renders a split with the instance counts behind it, e.g. "new 40% (4), app-v001 60% (6)".
func describe(w map[Ref]int, shares []share) string {
	parts := make([]string, 0, len(shares))
	for _, s := range shares {
		parts = append(parts, fmt.Sprintf("%s %d%% (%d)", s.ref, w[s.ref], s.size))
	}
	return strings.Join(parts, ", ")
}
