package web

import (
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// pipelineChoice is one pipeline in the deploy form's dropdown: its name
// alone (so the dropdown never cuts it), its description as the hint under
// the dropdown, and its declared parameters as the example in the
// parameters field.
type pipelineChoice struct {
	Name, Hint, Params string
}

// deployFormView is what the deploy form says about the pipelines it offers.
type deployFormView struct {
	PipelineChoices []pipelineChoice
	// AutoParams is the parameters example for the automatic choice: the
	// parameters any of the pipelines declares.
	AutoParams string
	// AnyParams: some pipeline declares a parameter besides version.
	AnyParams bool
	// VersionHint is the version field's placeholder: the newest version
	// deployed, to say what a version looks like here.
	VersionHint string
}

// deployForm derives the deploy form's hints from the pipelines' declared
// parameters, so that no example suggests a parameter a pipeline refuses.
func deployForm(pipelines []model.Pipeline, lastVersion string) deployFormView {
	var v deployFormView
	var all []model.Parameter
	for _, pl := range pipelines {
		params := paramsOf(pl)
		hint := pl.Description
		if hint == "" {
			hint = "no description"
		}
		v.PipelineChoices = append(v.PipelineChoices, pipelineChoice{Name: pl.Name, Hint: hint, Params: paramsExample(params, pl.Name)})
		for _, p := range params {
			if !slices.ContainsFunc(all, func(q model.Parameter) bool { return q.Name == p.Name }) {
				all = append(all, p)
			}
		}
	}
	v.AnyParams = len(all) > 0
	v.AutoParams = paramsExample(all, "the pipeline")
	v.VersionHint = "a version, e.g. v1"
	if lastVersion != "" {
		v.VersionHint = "newest so far: " + lastVersion
	}
	return v
}

// paramsOf is a pipeline's declared parameters besides version (the form
// has a field of its own for it).
func paramsOf(pl model.Pipeline) []model.Parameter {
	var out []model.Parameter
	for _, p := range pl.Parameters {
		if p.Name != "version" {
			out = append(out, p)
		}
	}
	return out
}

// paramsExample is one key=value line per parameter: its default, else
// its description in angle brackets; or says that who declares none.
func paramsExample(params []model.Parameter, who string) string {
	if len(params) == 0 {
		return "none: " + who + " declares no parameters besides version"
	}
	lines := make([]string, 0, len(params))
	for _, p := range params {
		val := p.Default
		switch {
		case val != "":
		case p.Description != "":
			val = "<" + p.Description + ">"
		default:
			val = "<value>"
		}
		lines = append(lines, p.Name+"="+val)
	}
	return strings.Join(lines, "\n")
}
