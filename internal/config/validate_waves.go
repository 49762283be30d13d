package config

import (
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// validateWaves checks a deploy in waves (deploy.environments): a list of
// distinct environments, waves that each take some of them (decode checks
// that a wave has one of count, percent, remaining), remaining only last,
// and no step that waits for a person, which one environment of several
// cannot do.
func validateWaves(doc *Document, path string, d *model.DeployStage) []Error {
	var errs []Error
	if !d.InWaves() {
		if doc.pos.has(path + ".environments") {
			errs = append(errs, doc.errorf(path+".environments", "the list is empty: name the environments to deploy to, such as [prod-eu, prod-us]"))
		}
		if len(d.Waves) > 0 {
			errs = append(errs, doc.errorf(path+".waves", "waves split deploy.environments: list the environments, or remove waves to deploy to the one environment"))
		}
		return errs
	}
	seen := map[string]int{}
	for i, env := range d.Environments {
		ep := indexPath(path+".environments", i)
		if env == "" {
			errs = append(errs, doc.errorf(ep, "the environment name is empty: name one, such as prod-eu"))
			continue
		}
		if first, dup := seen[env]; dup {
			errs = append(errs, doc.errorf(ep, "environment %q is listed twice (first at environments[%d]): list each once", env, first))
			continue
		}
		seen[env] = i
	}
	for i, w := range d.Waves {
		wp := indexPath(path+".waves", i)
		if doc.pos.has(wp+".remaining") && !w.Remaining {
			errs = append(errs, doc.errorf(wp+".remaining", "remaining: false takes nothing: write remaining: true for the environments left, or count or percent"))
		}
		if w.Remaining && i != len(d.Waves)-1 {
			errs = append(errs, doc.errorf(wp+".remaining", "only the last wave can take the remaining environments: move it to the end"))
		}
		if w.Count < 0 || (doc.pos.has(wp+".count") && w.Count == 0) {
			errs = append(errs, doc.errorf(wp+".count", "%d environments: a wave takes 1 or more", w.Count))
		}
		if w.Percent < 0 || w.Percent > 100 || (doc.pos.has(wp+".percent") && w.Percent == 0) {
			errs = append(errs, doc.errorf(wp+".percent", "%d is not a percentage of the environments: use 1 to 100", w.Percent))
		}
	}
	if c := d.Strategy.Canary; c != nil {
		for i, step := range c.Steps {
			if step.Pause != nil && step.Pause.Duration == 0 {
				errs = append(errs, doc.errorf(indexPath(path+".strategy.canary.steps", i)+".pause",
					"a deploy in waves cannot wait for a person in one of its environments: give the pause a duration, or put a judgment stage before this one"))
			}
		}
		if c.OnInconclusive == "pause" {
			errs = append(errs, doc.errorf(path+".strategy.canary.onInconclusive",
				"a deploy in waves cannot wait for a person in one of its environments: use rollback (the default in waves)"))
		}
	}
	return errs
}

// waveEnvironments lists the environments of a deploy stage with the path
// of each: the one environment, or every one of a deploy in waves.
func waveEnvironments(path string, d *model.DeployStage) (envs, paths []string) {
	if !d.InWaves() {
		return []string{d.Environment}, []string{path + ".environment"}
	}
	for i, e := range d.Environments {
		if !slices.Contains(envs, e) {
			envs, paths = append(envs, e), append(paths, indexPath(path+".environments", i))
		}
	}
	return envs, paths
}
