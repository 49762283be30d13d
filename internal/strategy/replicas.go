package strategy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Targets that split traffic by replica counts (Kubernetes with a stable
// Service over the ready pods of every enabled group) cannot route a weight:
// each enabled group gets its share of the ready instances. There a canary
// sizes its groups to the weights, as Argo Rollouts' basic canary does: at
// "setWeight w" with n instances the canary gets ceil(w% of n) instances, the
// baseline as many for its own weight, and the serving groups the rest of n
// (split by their weights), never fewer than 1 each so production always
// runs. Promotion grows the canary to n before it takes all traffic.

// podsFor is how many of n instances a group with weight w gets: ceil(w% of
// n), at least 1 (a group with weight 0 keeps one instance and no traffic).
func podsFor(w, n int) int { return max(1, (w*n+99)/100) }

// canaryReplicaSplit is the split and the instance count of every group
// for "setWeight w" when traffic follows replica counts. The canary gets
// ceil(w% of n) instances, the baseline as many for its weight b, and the
// serving groups what is left of n, apportioned by their weights; when that
// is nothing while they still have a weight, they keep one instance
// serving. The serving groups' weights follow their instance counts: one
// left with no instance to serve keeps one without traffic (a serving group
// never runs 0 instances during a canary).
func canaryReplicaSplit(w, b int, withBaseline bool, n int, stable []model.ServerGroup) (weights, sizes map[Ref]int) {
	sizes = map[Ref]int{RefNew: podsFor(w, n)}
	used := sizes[RefNew]
	if withBaseline {
		sizes[RefBaseline] = podsFor(b, n)
		used += sizes[RefBaseline]
	}
	rest := 100 - w - b
	left := n - used
	if rest > 0 {
		left = max(left, 1)
	}
	pods := splitTotal(left, stableShares(stable))
	var byPods []share
	for _, sg := range stable {
		sizes[ref(sg)] = max(1, pods[ref(sg)])
		byPods = append(byPods, share{ref(sg), pods[ref(sg)]})
	}
	weights = splitTotal(rest, byPods)
	weights = withCanary(weights, w, b)
	return weights, sizes
}

func stableShares(stable []model.ServerGroup) []share {
	shares := make([]share, 0, len(stable))
	for _, sg := range stable {
		shares = append(shares, share{ref(sg), sg.Weight})
	}
	return shares
}

// EffectiveWeights is the split a target that spreads requests evenly over
// instances gives when groups have the given weights and instance counts:
// every group with a weight above 0 gets its share of those groups'
// instances, in percentages that sum to 100 (largest remainder, ties to the
// first name). Groups with weight 0 get 0. It is how `status` shows what a
// replicas-mode Kubernetes environment really serves beside what was asked.
func EffectiveWeights[K ~string](weights, instances map[K]int) map[K]int {
	keys := make([]K, 0, len(weights))
	for k := range weights {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	shares := make([]share, 0, len(keys))
	for _, k := range keys {
		if weights[k] > 0 {
			shares = append(shares, share{Ref(k), instances[k]})
		}
	}
	split := splitTotal(100, shares)
	out := make(map[K]int, len(keys))
	for _, k := range keys {
		out[k] = split[Ref(k)]
	}
	return out
}

// replicaTraffic is one canary traffic step on a target that splits by
// replica counts: the split, the sizes the groups need, and the split those
// sizes really give.
type replicaTraffic struct {
	weights   map[Ref]int
	sizes     map[Ref]int
	effective map[Ref]int
}

func planReplicaTraffic(w, b int, withBaseline bool, n int, stable []model.ServerGroup) replicaTraffic {
	weights, sizes := canaryReplicaSplit(w, b, withBaseline, n, stable)
	return replicaTraffic{weights: weights, sizes: sizes, effective: EffectiveWeights(weights, sizes)}
}

// explain says how the step's weights become instance counts.
func (rt replicaTraffic) explain(withBaseline bool, n int, stable []model.ServerGroup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; traffic follows replica counts here: canary %d of %d instances", rt.sizes[RefNew], n)
	if withBaseline {
		fmt.Fprintf(&b, ", baseline %d", rt.sizes[RefBaseline])
	}
	serving := 0
	for _, sg := range stable {
		if rt.weights[ref(sg)] > 0 {
			serving += rt.sizes[ref(sg)]
		}
	}
	fmt.Fprintf(&b, ", serving %d", serving)
	return b.String()
}

// shortfall says, when the canary's weight w cannot be met with n
// instances, what it gets instead and how many instances would meet it;
// "" when it is met.
func (rt replicaTraffic) shortfall(w, b int, withBaseline bool, n int, stable []model.ServerGroup) string {
	got := rt.effective[RefNew]
	if got == w {
		return ""
	}
	out := fmt.Sprintf("setWeight %d with %d instances: %d%% effective", w, n, got)
	if need := instancesFor(w, b, withBaseline, n, stable); need > 0 {
		out += fmt.Sprintf("; %d needs at least %d instances", w, need)
	}
	return out
}

// instancesFor is the smallest instance count above n with which the
// canary's effective share is exactly w, or 0 when none up to 100 is (100
// always is, for whole percentages).
func instancesFor(w, b int, withBaseline bool, n int, stable []model.ServerGroup) int {
	for m := n + 1; m <= 100; m++ {
		if planReplicaTraffic(w, b, withBaseline, m, stable).effective[RefNew] == w {
			return m
		}
	}
	return 0
}

// sizer follows the instance counts of a canary's groups through its plan
// on a target that splits traffic by replica counts.
type sizer struct {
	cur map[Ref]int
}

// resizeAround adds a traffic step with the resizes it needs: groups that
// grow first, each waited healthy before it takes its share; then the
// traffic step; then the groups that shrink, so capacity never drops below
// what the old split had and nothing shrinks before traffic has moved.
func (z *sizer) resizeAround(p *Plan, want map[Ref]int, traffic Step) {
	refs := refsOf(want)
	var grown []Ref
	for _, r := range refs {
		if want[r] > z.cur[r] {
			p.add(Step{Action: ActionResize, Ref: r, Instances: want[r],
				Why: fmt.Sprintf("grow %s from %d to %d instances: traffic follows replica counts here", refWords(r), z.cur[r], want[r])})
			grown = append(grown, r)
		}
	}
	for _, r := range grown {
		p.add(Step{Action: ActionWaitHealthy, Ref: r, Why: fmt.Sprintf("wait until the %d instances of %s pass their health checks", want[r], refWords(r))})
	}
	p.add(traffic)
	for _, r := range refs {
		if want[r] < z.cur[r] {
			p.add(Step{Action: ActionResize, Ref: r, Instances: want[r],
				Why: fmt.Sprintf("shrink %s from %d to %d instances now that traffic has moved: its share of the instances is its share of the requests", refWords(r), z.cur[r], want[r])})
		}
	}
	for r, n := range want {
		z.cur[r] = n
	}
}

// restoreRetired gives the serving groups that a canary shrank and that its
// plan keeps (disabled, not destroyed) their instance counts back, so a
// rollback to one of them has the capacity it had.
func (z *sizer) restoreRetired(p *Plan, stable []model.ServerGroup) {
	destroyed := map[Ref]bool{}
	for _, s := range p.Steps {
		if s.Action == ActionDestroy {
			destroyed[s.Ref] = true
		}
	}
	for _, sg := range stable {
		if r := ref(sg); !destroyed[r] && z.cur[r] < sg.Instances {
			p.add(Step{Action: ActionResize, Ref: r, Instances: sg.Instances,
				Why: fmt.Sprintf("give %s back its %d instances (without traffic), so a rollback to it has the capacity it had", sg.Name, sg.Instances)})
		}
	}
}

// refWords names a Ref for a person: "the canary", "the baseline" or the
// server group's name.
func refWords(r Ref) string {
	switch r {
	case RefNew:
		return "the canary"
	case RefBaseline:
		return "the baseline"
	}
	return string(r)
}
