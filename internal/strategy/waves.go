package strategy

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// PlanWaves splits the environments of a deploy in waves into the groups
// that deploy one after another, keeping their order. A wave takes Count
// environments, or Percent of all of them (rounded up, at least one), or
// the Remaining ones, never more than are left; the environments no wave
// took form one last wave, and waves left with nothing are dropped. Without
// waves every environment is a wave of its own. Every environment is in
// exactly one wave.
func PlanWaves(envs []string, waves []model.Wave) [][]string {
	if len(waves) == 0 {
		out := make([][]string, 0, len(envs))
		for _, e := range envs {
			out = append(out, []string{e})
		}
		return out
	}
	var out [][]string
	rest := envs
	for _, w := range waves {
		if len(rest) == 0 {
			break
		}
		n := WaveSize(w, len(envs))
		if n <= 0 || n > len(rest) {
			n = len(rest)
		}
		out = append(out, rest[:n:n])
		rest = rest[n:]
	}
	if len(rest) > 0 {
		out = append(out, rest)
	}
	return out
}

// WaveSize is how many of total environments wave w takes (before it is
// capped at what is left); 0 means all that are left.
func WaveSize(w model.Wave, total int) int {
	switch {
	case w.Count > 0:
		return w.Count
	case w.Percent > 0:
		return max(1, (w.Percent*total+99)/100)
	}
	return 0
}

// DescribeWaves says in one line per wave which environments it holds,
// e.g. "wave 2 of 3: prod-us, prod-ap".
func DescribeWaves(waves [][]string) []string {
	out := make([]string, len(waves))
	for i, w := range waves {
		out[i] = fmt.Sprintf("wave %d of %d: %s", i+1, len(waves), joinNames(w))
	}
	return out
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// PlanRevert plans the undoing of a deploy that finished, because a later
// part of a larger change failed (a deploy in waves whose later wave
// failed): the environment goes back to what it served before the deploy.
//
// before is the cluster the deploy was planned from, now the cluster as it
// is, history every group of the application in the environment (destroyed
// ones too) and created the groups the deploy made. When every group that
// served before still runs, the plan is PlanAbort's: the old split comes
// back exactly and what the deploy created is destroyed (fresh is false: the
// deploy's own references still name its groups). When one was destroyed
// (highlander, red/black with maxRemaining), the plan is PlanRollback's:
// the last good group before the new one is started again from its version
// and takes all traffic, and the new one is disabled and marked rolled back;
// fresh is true, because that plan's RefNew is a new group, not the
// deploy's.
func PlanRevert(before, now Cluster, history []model.ServerGroup, created map[Ref]string) (p Plan, fresh bool, err error) {
	allRun := true
	for _, old := range before.serving() {
		if _, ok := now.find(old.Name); !ok {
			allRun = false
		}
	}
	if allRun {
		return PlanAbort(before, now, created), false, nil
	}
	p, err = PlanRollback(now, history)
	return p, true, err
}
