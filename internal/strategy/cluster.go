package strategy

import (
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// Cluster is the snapshot a planner reads: the current, non-destroyed server
// groups of one application in one environment. Planners never modify it.
type Cluster struct {
	ServerGroups []model.ServerGroup `json:"serverGroups"`
}

// sorted returns the groups oldest first (by Sequence), skipping destroyed
// ones in case the caller passed history.
func (c Cluster) sorted() []model.ServerGroup {
	out := make([]model.ServerGroup, 0, len(c.ServerGroups))
	for _, sg := range c.ServerGroups {
		if sg.Status != model.ServerGroupDestroyed {
			out = append(out, sg)
		}
	}
	slices.SortStableFunc(out, func(a, b model.ServerGroup) int { return a.Sequence - b.Sequence })
	return out
}

// serving returns the groups that take traffic (up, weight > 0), oldest first.
func (c Cluster) serving() []model.ServerGroup {
	var out []model.ServerGroup
	for _, sg := range c.sorted() {
		if isServing(sg) {
			out = append(out, sg)
		}
	}
	return out
}

// primary returns the serving group with the most traffic (the newest on a
// tie): the version a canary's baseline copies.
func (c Cluster) primary() (model.ServerGroup, bool) {
	var best model.ServerGroup
	found := false
	for _, sg := range c.serving() {
		if !found || sg.Weight >= best.Weight {
			best, found = sg, true
		}
	}
	return best, found
}

// find returns the non-destroyed group called name.
func (c Cluster) find(name string) (model.ServerGroup, bool) {
	for _, sg := range c.sorted() {
		if sg.Name == name {
			return sg, true
		}
	}
	return model.ServerGroup{}, false
}

func isServing(sg model.ServerGroup) bool {
	return sg.Status == model.ServerGroupUp && sg.Weight > 0
}

func isRunning(sg model.ServerGroup) bool {
	return sg.Status == model.ServerGroupUp || sg.Status == model.ServerGroupDisabled
}

// ref is the Ref of an existing server group.
func ref(sg model.ServerGroup) Ref { return Ref(sg.Name) }

// Servings returns the groups of c that take traffic (up, weight > 0), oldest first.
func Servings(c Cluster) []model.ServerGroup { return c.serving() }
