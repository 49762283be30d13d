package strategy

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// Request is what to deploy and how.
type Request struct {
	Version   string         `json:"version"`
	Instances int            `json:"instances"`
	Strategy  model.Strategy `json:"strategy"`
	// SplitByReplicas says the target approximates weights by instance
	// counts (model.TargetSpec.SplitsByReplicas): a canary then sizes its
	// groups to its weights instead of giving each the full count.
	SplitByReplicas bool `json:"splitByReplicas,omitempty"`
}

// PlanDeploy plans a deploy of r into the cluster c. It returns an error
// wrapping ErrInvalidRequest when r cannot be planned.
func PlanDeploy(c Cluster, r Request) (Plan, error) {
	if err := r.validate(); err != nil {
		return Plan{}, err
	}
	switch r.Strategy.Type {
	case model.StrategyHighlander:
		return planHighlander(c, r), nil
	case model.StrategyRedBlack:
		return planRedBlack(c, r), nil
	case model.StrategyRolling:
		return planRolling(c, r), nil
	case model.StrategyCanary:
		return planCanary(c, r)
	}
	return Plan{}, fmt.Errorf("%w: strategy.type %q is unknown: use highlander, red-black, rolling or canary",
		ErrInvalidRequest, r.Strategy.Type)
}

func (r Request) validate() error {
	switch {
	case r.Version == "":
		return fmt.Errorf("%w: version is empty: set the version to deploy", ErrInvalidRequest)
	case r.Instances < 1:
		return fmt.Errorf("%w: instances is %d: deploy at least 1 instance", ErrInvalidRequest, r.Instances)
	case r.Strategy.MaxRemaining < 0:
		return fmt.Errorf("%w: strategy.maxRemaining is %d: use 0 or more", ErrInvalidRequest, r.Strategy.MaxRemaining)
	case r.Strategy.BatchSize < 0:
		return fmt.Errorf("%w: strategy.batchSize is %d: use 1 or more (0 means the default, 1)", ErrInvalidRequest, r.Strategy.BatchSize)
	}
	return nil
}

// createAndWait is the opening of every deploy: start the new group, wait for it.
func createAndWait(p *Plan, r Request, role model.ServerGroupRole, instances int, why string) {
	p.add(Step{Action: ActionCreate, Ref: RefNew, Version: r.Version, Role: role, Instances: instances, Why: why})
	p.add(Step{Action: ActionWaitHealthy, Ref: RefNew, Why: "wait until every new instance passes its health check"})
}

// cutOver sends all traffic to the new group and marks it good.
func cutOver(p *Plan, why string) {
	p.add(Step{Action: ActionSetTraffic, Weights: map[Ref]int{RefNew: 100}, Why: why})
	p.add(Step{Action: ActionMarkGood, Ref: RefNew, Why: "the new server group is now the last good one; rollback returns here"})
}
