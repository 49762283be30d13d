package config

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
)

// catalog is every object a reference may name: the loaded documents and
// the objects stored before.
type catalog struct {
	apps      map[string]*model.Application
	envs      map[string]*model.Environment
	templates map[string]*model.AnalysisTemplate
	teams     map[string]*model.Team
}

func newCatalog(docs []Document, existing model.Config) catalog {
	c := catalog{
		apps: map[string]*model.Application{}, envs: map[string]*model.Environment{},
		templates: map[string]*model.AnalysisTemplate{}, teams: map[string]*model.Team{},
	}
	for i := range existing.AnalysisTemplates {
		c.templates[existing.AnalysisTemplates[i].Name] = &existing.AnalysisTemplates[i]
	}
	for i := range existing.Applications {
		c.apps[existing.Applications[i].Name] = &existing.Applications[i]
	}
	for i := range existing.Environments {
		c.envs[existing.Environments[i].Name] = &existing.Environments[i]
	}
	for i := range existing.Teams {
		c.teams[existing.Teams[i].Name] = &existing.Teams[i]
	}
	for _, d := range docs {
		switch {
		case d.Application != nil:
			c.apps[d.Name] = d.Application
		case d.Environment != nil:
			c.envs[d.Name] = d.Environment
		case d.AnalysisTemplate != nil:
			c.templates[d.Name] = d.AnalysisTemplate
		case d.Team != nil:
			c.teams[d.Name] = d.Team
		}
	}
	return c
}

// checkSet finds duplicate objects and references to objects that do not exist.
func checkSet(docs []Document, existing model.Config) []Error {
	errs := checkDuplicates(docs)
	c := newCatalog(docs, existing)
	for i := range docs {
		d := &docs[i]
		switch {
		case d.Environment != nil:
			errs = append(errs, checkEnvironmentRefs(d, c)...)
		case d.Pipeline != nil:
			errs = append(errs, checkPipelineRefs(d, c)...)
		case d.Grant != nil:
			errs = append(errs, checkGrantRefs(d, c)...)
		}
	}
	errs = append(errs, checkNamespaceClashes(docs, existing)...)
	errs = append(errs, checkTriggerRefs(docs, existing)...) // trigger_refs.go
	return append(errs, checkFrontDoorClashes(docs)...)
}

func checkDuplicates(docs []Document) []Error {
	var errs []Error
	type key struct{ kind, name string }
	first := map[key]*Document{}
	for i := range docs {
		d := &docs[i]
		if d.Name == "" {
			continue
		}
		k := key{d.Kind, d.Name}
		if f, ok := first[k]; ok {
			p := f.pos.at("metadata.name")
			errs = append(errs, d.errorf("metadata.name", "%s is defined twice; the first is at %s:%d:%d: rename or remove one",
				d.Object(), f.File, p.Line, p.Column))
			continue
		}
		first[k] = d
	}
	return errs
}

func checkEnvironmentRefs(d *Document, c catalog) []Error {
	var errs []Error
	for _, app := range sortedKeys(d.Environment.FrontDoors) {
		if _, ok := c.apps[app]; !ok {
			errs = append(errs, d.errorf(fieldPath("spec.frontDoors", app),
				"no application is named %q%s", app, orList(app, "the applications", sortedKeys(c.apps))))
		}
	}
	if g := d.Environment.Target.Gateway; g != nil {
		for _, app := range sortedKeys(g.Hostnames) {
			if _, ok := c.apps[app]; !ok {
				errs = append(errs, d.errorf(fieldPath("spec.target.gateway.hostnames", app),
					"no application is named %q%s", app, orList(app, "the applications", sortedKeys(c.apps))))
			}
		}
	}
	return errs
}

// checkFrontDoorClashes reports two front doors on one address.
func checkFrontDoorClashes(docs []Document) []Error {
	var errs []Error
	type door struct {
		doc *Document
		app string
	}
	seen := map[string]door{}
	for i := range docs {
		d := &docs[i]
		if d.Environment == nil {
			continue
		}
		for _, app := range sortedKeys(d.Environment.FrontDoors) {
			addr := d.Environment.FrontDoors[app]
			if f, ok := seen[addr]; ok {
				errs = append(errs, d.errorf(fieldPath("spec.frontDoors", app),
					"%q is already the front door of %q in %s: give each front door its own port", addr, f.app, f.doc.Object()))
				continue
			}
			seen[addr] = door{d, app}
		}
	}
	return errs
}

func checkPipelineRefs(d *Document, c catalog) []Error {
	var errs []Error
	p := d.Pipeline
	app, appOK := c.apps[p.Application]
	if p.Application != "" && !appOK {
		errs = append(errs, d.errorf("spec.application", "no application is named %q: define it or apply it first%s",
			p.Application, orList(p.Application, "the applications", sortedKeys(c.apps))))
	}
	for i, s := range p.Stages {
		var envs, paths []string
		switch {
		case s.Deploy != nil:
			envs, paths = waveEnvironments(indexPath("spec.stages", i)+".deploy", s.Deploy)
		case s.Rollback != nil:
			envs, paths = []string{s.Rollback.Environment}, []string{indexPath("spec.stages", i) + ".rollback.environment"}
		default:
			continue
		}
		for j, env := range envs {
			path := paths[j]
			e, ok := c.envs[env]
			if !ok {
				if env != "" {
					errs = append(errs, d.errorf(path, "no environment is named %q: define it or apply it first%s",
						env, orList(env, "the environments", sortedKeys(c.envs))))
				}
				continue
			}
			if s.Deploy != nil && appOK {
				if msg := targetMismatch(app, e); msg != "" {
					errs = append(errs, d.errorf(path, "%s", msg))
				}
			}
		}
		if s.Deploy != nil {
			errs = append(errs, checkTemplateRefs(d, indexPath("spec.stages", i)+".deploy.strategy", s.Deploy.Strategy, c)...)
		}
	}
	return errs
}

// checkTemplateRefs finds canary analysis steps naming a template that does not exist.
func checkTemplateRefs(d *Document, path string, st model.Strategy, c catalog) []Error {
	if st.Canary == nil {
		return nil
	}
	var errs []Error
	for j, step := range st.Canary.Steps {
		a := step.Analysis
		if a == nil || a.TemplateRef == "" {
			continue
		}
		if _, ok := c.templates[a.TemplateRef]; !ok {
			errs = append(errs, d.errorf(indexPath(path+".canary.steps", j)+".analysis.templateRef",
				"no AnalysisTemplate is named %q: define one (kind: AnalysisTemplate) or apply it first (`validate --against-server` counts the stored ones)%s",
				a.TemplateRef, orList(a.TemplateRef, "the templates", sortedKeys(c.templates))))
		}
	}
	return errs
}

// checkGrantRefs finds a grant's teams, application and environments that do not exist.
func checkGrantRefs(d *Document, c catalog) []Error {
	var errs []Error
	g := d.Grant
	for i, s := range g.Subjects {
		errs = append(errs, checkTeamRef(d, indexPath("spec.subjects", i)+".team", s.Team, c)...)
	}
	errs = append(errs, checkTeamRef(d, "spec.scope.team", g.Scope.Team, c)...)
	if app := g.Scope.Application; app != "" {
		if _, ok := c.apps[app]; !ok {
			errs = append(errs, d.errorf("spec.scope.application", "no application is named %q: define it or apply it first%s",
				app, orList(app, "the applications", sortedKeys(c.apps))))
		}
	}
	for i, env := range g.Scope.Environments {
		if _, ok := c.envs[env]; !ok && env != "" {
			errs = append(errs, d.errorf(indexPath("spec.scope.environments", i), "no environment is named %q: define it or apply it first%s",
				env, orList(env, "the environments", sortedKeys(c.envs))))
		}
	}
	return errs
}

// checkTeamRef reports a reference to a Team that does not exist ("" is
// reported by validateGrant, or means none).
func checkTeamRef(d *Document, path, team string, c catalog) []Error {
	if _, ok := c.teams[team]; ok || team == "" {
		return nil
	}
	return []Error{d.errorf(path, "no Team is named %q: define one (kind: Team) or apply it first (`validate --against-server` counts the stored ones)%s",
		team, orList(team, "the teams", sortedKeys(c.teams)))}
}

// targetMismatch says why app cannot be deployed to env's target, or "".
func targetMismatch(app *model.Application, env *model.Environment) string {
	switch env.Target.Kind {
	case model.TargetKubernetes:
		if app.Image == "" {
			return fmt.Sprintf("environment %q runs on Kubernetes but application %q has no image: add spec.image to the application", env.Name, app.Name)
		}
	default:
		if app.Run.Command == "" {
			return fmt.Sprintf("environment %q runs locally but application %q has no run.command: add spec.run.command to the application", env.Name, app.Name)
		}
	}
	return ""
}
