package strategy

import (
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// planCanary moves traffic to the new version step by step.
//
// With nothing serving there is nothing to compare with, so the first deploy
// goes straight to 100% (highlander-like, keeping other groups). Otherwise it
// starts a fresh baseline of the serving version (unless canary.baseline is
// false) with as many instances as the canary, so that both are equally cold
// and equally sized, then follows the canary steps:
//
//   - setWeight w: canary w%, baseline w% (Kayenta and Argo give the baseline
//     the canary's share so both are compared under equal load), the serving
//     groups the rest. When 2w > 100 the baseline gets 100-w and the serving
//     groups nothing.
//   - pause: wait for the duration, or for an approval when it is zero.
//   - analysis: judge the canary against the baseline.
//
// Promotion sends 100% to the canary, marks it good (which makes it a
// production group), destroys the baseline, and retires the previously
// serving groups: with strategy.maxRemaining 0 (here: keep none) they are
// destroyed, otherwise disabled, and disabled groups beyond maxRemaining are
// destroyed as red-black does.
func planCanary(c Cluster, r Request) (Plan, error) {
	spec := r.Strategy.Canary
	if err := validateCanary(spec); err != nil {
		return Plan{}, err
	}
	primary, ok := c.primary()
	if !ok {
		var p Plan
		createAndWait(&p, r, model.RoleProduction, r.Instances,
			fmt.Sprintf("nothing is serving yet, so there is nothing to compare a canary with: start %d instances of %s and send them all traffic", r.Instances, r.Version))
		cutOver(&p, "first deploy: send all traffic to the new server group")
		return p, nil
	}
	stable := c.serving()
	withBaseline := spec.WantsBaseline()

	// By replica counts the canary and baseline start at the size of the
	// first traffic step; elsewhere at the application's instance count.
	var z *sizer
	canaryN, baselineN, sized := r.Instances, r.Instances, ""
	if r.SplitByReplicas {
		w, b := firstWeight(spec, withBaseline)
		canaryN, baselineN = podsFor(w, r.Instances), podsFor(b, r.Instances)
		z = &sizer{cur: map[Ref]int{RefNew: canaryN, RefBaseline: baselineN}}
		for _, sg := range stable {
			z.cur[ref(sg)] = sg.Instances
		}
		sized = fmt.Sprintf(", sized for its first weight (%d%%) of %d instances: traffic follows replica counts here", w, r.Instances)
	}

	var p Plan
	if withBaseline {
		why := fmt.Sprintf("start a fresh baseline of the serving version %s (%d instances, as many as the canary)", primary.Version, baselineN)
		if r.SplitByReplicas {
			why = fmt.Sprintf("start a fresh baseline of the serving version %s (%d instances%s)", primary.Version, baselineN, sized)
		}
		p.add(Step{Action: ActionCreate, Ref: RefBaseline, Version: primary.Version, Role: model.RoleBaseline, Instances: baselineN, Why: why})
	}
	p.add(Step{Action: ActionCreate, Ref: RefNew, Version: r.Version, Role: model.RoleCanary, Instances: canaryN,
		Why: fmt.Sprintf("start the canary: %d instances of %s%s", canaryN, r.Version, sized)})
	if withBaseline {
		p.add(Step{Action: ActionWaitHealthy, Ref: RefBaseline, Why: "wait until every baseline instance passes its health check"})
	}
	p.add(Step{Action: ActionWaitHealthy, Ref: RefNew, Why: "wait until every canary instance passes its health check"})

	against, againstRef := fmt.Sprintf("the serving group %s", primary.Name), ref(primary)
	if withBaseline {
		against, againstRef = "the baseline", RefBaseline
	}
	for i, cs := range spec.Steps {
		n := i + 1
		switch {
		case cs.SetWeight != nil && z != nil:
			step, sizes := canaryReplicaWeights(*cs.SetWeight, withBaseline, stable, n, r.Instances)
			z.resizeAround(&p, sizes, step)
		case cs.SetWeight != nil:
			p.add(canaryWeights(*cs.SetWeight, withBaseline, stable, n))
		case cs.Pause != nil:
			why := fmt.Sprintf("step %d: pause for %s", n, cs.Pause.Duration)
			if cs.Pause.Duration == 0 {
				why = fmt.Sprintf("step %d: pause until someone approves", n)
			}
			p.add(Step{Action: ActionPause, Pause: cs.Pause.Duration, Why: why})
		case cs.Analysis != nil:
			a := *cs.Analysis
			why := fmt.Sprintf("step %d: judge the canary against %s", n, against)
			if a.TemplateRef != "" {
				why += " with analysis template " + a.TemplateRef
			}
			p.add(Step{Action: ActionAnalysis, Ref: RefNew, Against: againstRef, Analysis: &a, Why: why})
		}
	}

	if z != nil && z.cur[RefNew] < r.Instances {
		p.add(Step{Action: ActionResize, Ref: RefNew, Instances: r.Instances,
			Why: fmt.Sprintf("grow the canary from %d to all %d instances before it takes all traffic", z.cur[RefNew], r.Instances)})
		p.add(Step{Action: ActionWaitHealthy, Ref: RefNew, Why: fmt.Sprintf("wait until the %d instances of the canary pass their health checks", r.Instances)})
		z.cur[RefNew] = r.Instances
	}
	p.add(Step{Action: ActionSetTraffic, Weights: map[Ref]int{RefNew: 100}, Why: "promote: send all traffic to the canary"})
	p.add(Step{Action: ActionMarkGood, Ref: RefNew, Why: "the canary is now the last good (production) server group; rollback returns here"})
	if withBaseline {
		p.add(Step{Action: ActionDestroy, Ref: RefBaseline, Why: "the comparison is over: destroy the baseline"})
	}
	var disabled []model.ServerGroup // newest first
	for _, sg := range slices.Backward(c.sorted()) {
		switch {
		case sg.Status == model.ServerGroupUp && r.Strategy.MaxRemaining == 0:
			p.add(Step{Action: ActionDestroy, Ref: ref(sg), Why: fmt.Sprintf("the canary replaced %s (%s): destroy it (strategy.maxRemaining is 0)", sg.Name, sg.Version)})
		case sg.Status == model.ServerGroupUp:
			p.add(Step{Action: ActionDisable, Ref: ref(sg), Why: fmt.Sprintf("keep %s (%s) running without traffic for instant rollback", sg.Name, sg.Version)})
			disabled = append(disabled, sg)
		case sg.Status == model.ServerGroupDisabled:
			disabled = append(disabled, sg)
		}
	}
	pruneDisabled(&p, disabled, r.Strategy.MaxRemaining, "canary")
	if z != nil {
		z.restoreRetired(&p, stable)
	}
	return p, nil
}

// firstWeight is the canary's and baseline's weight at the canary's first
// setWeight step (0 when it has none).
func firstWeight(spec *model.CanarySpec, withBaseline bool) (w, b int) {
	for _, cs := range spec.Steps {
		if cs.SetWeight != nil {
			b, _ := baselineWeight(*cs.SetWeight, withBaseline)
			return *cs.SetWeight, b
		}
	}
	return 0, 0
}

// baselineWeight is the baseline's weight beside a canary at w: w too, or
// 100-w when 2w > 100 (capped says so), 0 without a baseline.
func baselineWeight(w int, withBaseline bool) (b int, capped string) {
	if !withBaseline {
		return 0, ""
	}
	if 2*w > 100 {
		return 100 - w, fmt.Sprintf(" (the baseline would need %d%% too; capped at %d%% so the total stays 100)", w, 100-w)
	}
	return w, ""
}

// canaryWeights is the traffic step for "setWeight w".
func canaryWeights(w int, withBaseline bool, stable []model.ServerGroup, n int) Step {
	weights, why := canarySplit(w, withBaseline, stable)
	return Step{Action: ActionSetTraffic, Weights: weights, CanaryRef: RefNew, Why: fmt.Sprintf("step %d: %s", n, why)}
}

// canaryReplicaWeights is the traffic step for "setWeight w" on a target
// that splits by replica counts, with the instance count every group needs
// for it. Its Why says what the split really is when the instances cannot
// give w.
func canaryReplicaWeights(w int, withBaseline bool, stable []model.ServerGroup, n, instances int) (Step, map[Ref]int) {
	_, why := canarySplit(w, withBaseline, stable)
	b, _ := baselineWeight(w, withBaseline)
	rt := planReplicaTraffic(w, b, withBaseline, instances, stable)
	why += rt.explain(withBaseline, instances, stable)
	short := rt.shortfall(w, b, withBaseline, instances, stable)
	if short != "" {
		why += "; " + short
	}
	return Step{Action: ActionSetTraffic, Weights: rt.weights, Effective: rt.effective, Shortfall: short, CanaryRef: RefNew,
		Why: fmt.Sprintf("step %d: %s", n, why)}, rt.sizes
}

// canarySplit is the split for "setWeight w" and its description: canary
// w%, baseline w% (or less, capped), the serving groups the rest by their
// current weights.
func canarySplit(w int, withBaseline bool, stable []model.ServerGroup) (map[Ref]int, string) {
	b, capped := baselineWeight(w, withBaseline)
	weights := splitTotal(100-w-b, stableShares(stable))
	weights = withCanary(weights, w, b)
	why := fmt.Sprintf("canary %d%%", w)
	if withBaseline {
		why += fmt.Sprintf(", baseline %d%%", b)
	}
	why += fmt.Sprintf(", serving %d%%%s", 100-w-b, capped)
	return weights, why
}

// validateCanary checks a canary spec and says what is wrong and how to fix it.
func validateCanary(spec *model.CanarySpec) error {
	if spec == nil || len(spec.Steps) == 0 {
		return fmt.Errorf("%w: strategy.canary.steps is empty: list steps such as setWeight: 10, pause, analysis", ErrInvalidRequest)
	}
	for i, cs := range spec.Steps {
		set := 0
		for _, isSet := range []bool{cs.SetWeight != nil, cs.Pause != nil, cs.Analysis != nil} {
			set += boolInt(isSet)
		}
		if set != 1 {
			return fmt.Errorf("%w: strategy.canary.steps[%d] sets %d of setWeight, pause and analysis: set exactly one", ErrInvalidRequest, i, set)
		}
		if w := cs.SetWeight; w != nil && (*w < 0 || *w > 100) {
			return fmt.Errorf("%w: strategy.canary.steps[%d].setWeight is %d: use a percentage from 0 to 100", ErrInvalidRequest, i, *w)
		}
		if a := cs.Analysis; a != nil && a.Intervals < 0 {
			return fmt.Errorf("%w: strategy.canary.steps[%d].analysis.intervals is %d: use 1 or more (0 means 1)", ErrInvalidRequest, i, a.Intervals)
		}
	}
	return nil
}

// withCanary adds the canary's weight w and the baseline's b (when above
// zero) to the serving groups' split.
func withCanary(weights map[Ref]int, w, b int) map[Ref]int {
	if weights == nil {
		weights = map[Ref]int{}
	}
	if w > 0 {
		weights[RefNew] = w
	}
	if b > 0 {
		weights[RefBaseline] = b
	}
	return weights
}
