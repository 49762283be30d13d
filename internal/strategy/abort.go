package strategy

import (
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// PlanAbort plans the automatic rollback of a deploy that failed or was
// aborted part way: put the cluster back the way it was, then remove what the
// deploy created.
//
// before is the snapshot the deploy was planned from (the executor stores it
// with the plan), now the cluster as it is, and created maps each Ref the
// deploy created (RefNew, RefBaseline) to the server group name the executor
// gave it. The groups that served before get back their running state, their
// instance counts (rolling shrinks them) and their traffic split; the previous
// last good group gets its mark back; the new group is marked rolled back and
// destroyed, the baseline destroyed. With nothing serving before (a failed
// first deploy) there is nowhere to send traffic, so the created groups are
// disabled before they are destroyed.
func PlanAbort(before, now Cluster, created map[Ref]string) Plan {
	isCreated := map[string]bool{}
	for _, name := range created {
		isCreated[name] = true
	}
	var p Plan
	var shares []share
	for _, old := range before.serving() {
		cur, ok := now.find(old.Name)
		if !ok || isCreated[old.Name] {
			continue
		}
		if cur.Status == model.ServerGroupDisabled {
			p.add(Step{Action: ActionEnable, Ref: ref(old), Why: fmt.Sprintf("bring back %s (%s), which served before this deploy", old.Name, old.Version)})
		}
		if cur.Instances != old.Instances {
			p.add(Step{Action: ActionResize, Ref: ref(old), Instances: old.Instances,
				Why: fmt.Sprintf("give %s back the %d instances it had before this deploy", old.Name, old.Instances)})
		}
		p.add(Step{Action: ActionWaitHealthy, Ref: ref(old), Why: fmt.Sprintf("make sure %s is healthy before it takes traffic again", old.Name)})
		shares = append(shares, share{ref(old), old.Weight})
	}
	if w := proportional(shares); w != nil {
		p.add(Step{Action: ActionSetTraffic, Weights: w, Why: "send traffic back to the server groups that served before this deploy"})
	}
	if good, ok := lastGood(before); ok && !isCreated[good.Name] {
		if cur, ok := now.find(good.Name); ok && !cur.LastGood {
			p.add(Step{Action: ActionMarkGood, Ref: ref(good), Why: fmt.Sprintf("%s (%s) is the last good server group again", good.Name, good.Version)})
		}
	}

	refs := make([]Ref, 0, len(created))
	for r := range created {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, func(a, b Ref) int { return rank(a) - rank(b) })
	for _, r := range refs {
		name := created[r]
		if name == "" {
			continue
		}
		if len(shares) == 0 {
			p.add(Step{Action: ActionDisable, Ref: Ref(name), Why: fmt.Sprintf("nothing served before this deploy, so there is nowhere to send traffic: take %s out of traffic", name)})
		}
		if r != RefBaseline {
			p.add(Step{Action: ActionMarkRolledBack, Ref: Ref(name), Why: fmt.Sprintf("mark %s rolled back so no rollback returns to it", name)})
		}
		p.add(Step{Action: ActionDestroy, Ref: Ref(name), Why: fmt.Sprintf("the deploy failed: destroy the %s server group %s", r, name)})
	}
	return p
}

// lastGood returns the group carrying the LastGood mark.
func lastGood(c Cluster) (model.ServerGroup, bool) {
	for _, sg := range slices.Backward(c.sorted()) {
		if sg.LastGood {
			return sg, true
		}
	}
	return model.ServerGroup{}, false
}
