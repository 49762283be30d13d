package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ResolveTemplates returns pl with every canary analysis step that names an
// AnalysisTemplate carrying a copy of the template's config (Resolved), so
// an execution keeps judging with the template it started with even when
// the template is changed meanwhile (Argo Rollouts resolves its templates
// when an AnalysisRun starts, for the same reason). pl itself is not
// changed. lookup finds a template by name.
func ResolveTemplates(pl model.Pipeline, lookup func(name string) (*model.AnalysisTemplate, error)) (model.Pipeline, error) {
	out := pl
	out.Stages = slices.Clone(pl.Stages)
	for i, s := range out.Stages {
		if s.Deploy == nil || s.Deploy.Strategy.Canary == nil {
			continue
		}
		dep := *s.Deploy
		canary := *dep.Strategy.Canary
		canary.Steps = slices.Clone(canary.Steps)
		changed := false
		for j, step := range canary.Steps {
			if step.Analysis == nil || step.Analysis.TemplateRef == "" {
				continue
			}
			t, err := lookup(step.Analysis.TemplateRef)
			if err != nil {
				return pl, fmt.Errorf("stage %s, canary step %d: analysis template %q: %w", s.Name, j+1, step.Analysis.TemplateRef, err)
			}
			a := *step.Analysis
			spec := t.Spec
			a.Resolved = &spec
			canary.Steps[j].Analysis = &a
			changed = true
		}
		if changed {
			dep.Strategy.Canary = &canary
			out.Stages[i].Deploy = &dep
		}
	}
	return out, nil
}

// templateLookup reads templates from the store for ResolveTemplates.
func (e *Engine) templateLookup(ctx context.Context) func(string) (*model.AnalysisTemplate, error) {
	return func(name string) (*model.AnalysisTemplate, error) {
		t, err := e.store.AnalysisTemplateGet(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: it does not exist: apply a config that defines it (kind: AnalysisTemplate), or fix templateRef", ErrBadRequest)
		}
		return t, err
	}
}
