package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestValidateObjectsAcceptsLoadedConfig(t *testing.T) {
	t.Parallel()

	cfg, err := LoadDir("testdata/valid", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateObjects(cfg, LoadOptions{}); err != nil {
		t.Fatalf("config loaded from YAML must validate as objects too: %v", err)
	}
}

func TestValidateObjectsNamesObjectAndField(t *testing.T) {
	t.Parallel()

	cfg := model.Config{Pipelines: []model.Pipeline{{
		Name: "release", Application: "missing",
		Stages: []model.StageSpec{{Name: "w", Wait: &model.WaitStage{Duration: model.Duration(1)}}},
	}}}
	err := ValidateObjects(cfg, LoadOptions{})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`Pipeline "release"`, "spec.application", "missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestValidateObjectsChecksTeamsAndGrants(t *testing.T) {
	t.Parallel()

	cfg := model.Config{
		Teams: []model.Team{{Name: "payments", Members: []string{"carol@example.com", "carol@example.com"}}},
		Grants: []model.Grant{
			{Name: "ok", Role: model.RoleViewer, Subjects: []model.Subject{{Team: "payments"}}},
			{Name: "prod-admin", Role: model.RoleAdmin, Subjects: []model.Subject{{}}, Scope: model.Scope{Team: "billing", Environments: []string{"prod"}}},
			{Name: "no-role", Subjects: []model.Subject{{User: "dave@example.com"}}},
		},
	}
	err := ValidateObjects(cfg, LoadOptions{Existing: model.Config{
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	// Each names the object's JSON ("Kind/name:line:column"), the field and the fix.
	want := []string{
		`Team "payments": spec.members[1]: "carol@example.com" is listed twice (first at spec.members[0]): remove one`,
		`Grant "prod-admin": spec.scope.team: no Team is named "billing"`,
		`Grant "prod-admin": spec.scope.environments: an admin grant cannot be limited to environments`,
		`Grant "prod-admin": spec.subjects[0]: a subject needs exactly one of team, user`,
		`Grant "no-role": spec.role: the role is empty`,
	}
	if len(errs.List) != len(want) {
		t.Errorf("want %d problems, got %d:\n%s", len(want), len(errs.List), err)
	}
	for _, e := range errs.List {
		if e.Line == 0 || e.Column == 0 || !strings.HasPrefix(e.File, "Team/") && !strings.HasPrefix(e.File, "Grant/") {
			t.Errorf("not positioned in the object's JSON: %v", e)
		}
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("errors do not mention %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, `"ok"`) {
		t.Errorf("the valid grant was reported:\n%s", msg)
	}
}

// apply sends the config to the server, which checks it again: an analysis
// config that cannot do what it says is refused there too, field by field.
func TestValidateObjectsRefusesAnalysisThatCannotDoWhatItSays(t *testing.T) {
	t.Parallel()
	cfg := model.Config{AnalysisTemplates: []model.AnalysisTemplate{{Name: "limits", Spec: model.AnalysisSpec{
		MinSamples: -5,
		Groups:     []model.AnalysisGroup{{Name: "errors", Weight: 100}},
		Metrics: []model.AnalysisMetric{
			{Name: "p95", Group: "latency", Direction: model.DirectionIncrease, EffectSize: model.EffectSize{Measure: model.EffectCLES, AllowedIncrease: 1.1}},
			{Name: "error-rate", Group: "errors", Critical: true, Outliers: &model.OutlierSpec{Factor: -1}},
		},
	}}}}
	err := ValidateObjects(cfg, LoadOptions{})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	for _, want := range []string{"spec.minSamples", "spec.groups", "spec.metrics[0].effectSize.allowedIncrease", "spec.metrics[1].outliers.factor"} {
		found := false
		for _, e := range errs.List {
			found = found || (e.Field == want && e.Line > 0 && e.Object == `AnalysisTemplate "limits"`)
		}
		if !found {
			t.Errorf("no positioned error for %s in:\n%v", want, err)
		}
	}
}
