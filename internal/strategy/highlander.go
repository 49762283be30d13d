package strategy

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// planHighlander: create new, wait, 100% to new, mark good, destroy every
// other server group ("there can be only one").
func planHighlander(c Cluster, r Request) Plan {
	var p Plan
	createAndWait(&p, r, model.RoleProduction, r.Instances,
		fmt.Sprintf("start %d instances of %s", r.Instances, r.Version))
	cutOver(&p, "send all traffic to the new server group")
	for _, sg := range c.sorted() {
		p.add(Step{Action: ActionDestroy, Ref: ref(sg),
			Why: fmt.Sprintf("highlander keeps only the new server group: destroy %s (%s, %s)", sg.Name, sg.Version, sg.Status)})
	}
	return p
}
