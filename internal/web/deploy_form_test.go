package web

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestDeployFormHintsComeFromDeclaredParameters(t *testing.T) {
	t.Parallel()
	pls := []model.Pipeline{
		{Name: "redblack", Description: "red/black to prod", Parameters: []model.Parameter{{Name: "version", Required: true}}},
		{Name: "gated", Parameters: []model.Parameter{{Name: "version"}, {Name: "ticket", Description: "the change ticket"}, {Name: "region", Default: "eu"}}},
	}
	v := deployForm(pls, "v7")
	if len(v.PipelineChoices) != 2 {
		t.Fatalf("choices %+v", v.PipelineChoices)
	}
	if got := v.PipelineChoices[0]; got.Name != "redblack" || got.Hint != "red/black to prod" || got.Params != "none: redblack declares no parameters besides version" {
		t.Errorf("redblack: %+v", got)
	}
	if got := v.PipelineChoices[1]; got.Hint != "no description" || got.Params != "ticket=<the change ticket>\nregion=eu" {
		t.Errorf("gated: %+v", got)
	}
	if !v.AnyParams || v.AutoParams != "ticket=<the change ticket>\nregion=eu" || v.VersionHint != "newest so far: v7" {
		t.Errorf("automatic: %+v", v)
	}
	none := deployForm(pls[:1], "")
	if none.AnyParams || none.AutoParams != "none: the pipeline declares no parameters besides version" || none.VersionHint != "a version, e.g. v1" {
		t.Errorf("no parameters: %+v", none)
	}
}
