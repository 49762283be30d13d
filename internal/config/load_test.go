package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

const pipelineOnly = `apiVersion: gennaker.dev/v1alpha1
kind: Pipeline
metadata:
  name: release
spec:
  application: checkout
  stages:
    - name: deploy
      deploy: {environment: prod}
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFilesExistingSatisfiesReferences(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "release.yaml", pipelineOnly)

	_, err := LoadFiles([]string{path}, LoadOptions{})
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) != 2 {
		t.Fatalf("without Existing: want 2 reference errors, got %v", err)
	}

	existing := model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "./run"}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}
	cfg, err := LoadFiles([]string{path}, LoadOptions{Existing: existing})
	if err != nil {
		t.Fatalf("with Existing: %v", err)
	}
	if len(cfg.Pipelines) != 1 || len(cfg.Applications) != 0 {
		t.Fatalf("want only the loaded pipeline back, got %+v", cfg)
	}
	if got := cfg.Pipelines[0].Stages[0].Deploy.Strategy.Type; got != model.StrategyHighlander {
		t.Errorf("default strategy = %q, want highlander", got)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	t.Parallel()
	_, err := Parse("p.yaml", []byte(pipelineOnly+"    - name: w\n      wait: {duration: tenn}\n"))
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %T %v", err, err)
	}
	var one Error
	if !errors.As(err, &one) {
		t.Fatal("errors.As cannot reach a single Error")
	}
	want := `p.yaml:11:24: Pipeline "release": spec.stages[1].wait.duration: "tenn" is not a duration: write a number with a unit, such as 30s, 5m or 1h`
	if one.Error() != want {
		t.Errorf("got  %s\nwant %s", one.Error(), want)
	}
}

func TestParseSkipsEmptyDocuments(t *testing.T) {
	t.Parallel()
	docs, err := Parse("e.yaml", []byte("---\n# nothing\n---\n\n---\nnull\n"))
	if err != nil || len(docs) != 0 {
		t.Fatalf("got %d documents, err %v", len(docs), err)
	}
}

func TestParseAliasesAndMerges(t *testing.T) {
	t.Parallel()
	src := `apiVersion: gennaker.dev/v1alpha1
kind: Application
metadata: {name: checkout}
spec:
  run: &run
    command: ./run
    env: {A: "1"}
  healthCheck:
    <<: {path: /ready, interval: 5s}
    interval: 3s
`
	docs, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	hc := docs[0].Application.HealthCheck
	if hc.Path != "/ready" || hc.Interval.String() != "3s" {
		t.Errorf("merge: got %+v, want path /ready and the written interval 3s", hc)
	}
}

func TestLoadDirSkipsHiddenAndOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "README.md", "not yaml")
	writeFile(t, dir, ".git/config.yaml", "broken: [")
	writeFile(t, dir, "apps/checkout.yml", "apiVersion: gennaker.dev/v1alpha1\nkind: Application\nmetadata: {name: checkout}\nspec: {run: {command: ./run}}\n")
	cfg, err := LoadDir(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Applications) != 1 || cfg.Applications[0].Instances != 1 {
		t.Fatalf("got %+v", cfg)
	}
	if _, err := LoadDir(filepath.Join(dir, "apps", "none"), LoadOptions{}); err == nil {
		t.Error("want an error for a missing directory")
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"retires", "retries", 1},
		{"", "abc", 3},
		{"kubernets", "kubernetes", 1},
		{"same", "same", 0},
		{"wait", "noop", 4},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"spec.stages[2].wait.duration": "spec.stages[2].wait",
		"spec.stages[2]":               "spec.stages",
		`spec.run.env["a.b[1]"]`:       "spec.run.env",
		"spec":                         "",
	} {
		if got := parentPath(path); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestLoadFilesExistingTeamsSatisfyGrants(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "grants.yaml", `apiVersion: gennaker.dev/v1alpha1
kind: Grant
metadata: {name: payments-deploy}
spec:
  role: deployer
  subjects: [{team: payments}, {user: dave@example.com}]
  scope: {application: checkout, environments: [staging]}
`)
	_, err := LoadFiles([]string{path}, LoadOptions{})
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) != 3 {
		t.Fatalf("without Existing: want 3 reference errors (team, application, environment), got %v", err)
	}

	existing := model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "./run"}}},
		Environments: []model.Environment{{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}}},
		Teams:        []model.Team{{Name: "payments"}},
	}
	cfg, err := LoadFiles([]string{path}, LoadOptions{Existing: existing})
	if err != nil {
		t.Fatalf("with Existing: %v", err)
	}
	if len(cfg.Grants) != 1 || len(cfg.Teams) != 0 {
		t.Fatalf("want only the loaded grant back, got %+v", cfg)
	}
	g := cfg.Grants[0]
	if g.Role != model.RoleDeployer || len(g.Subjects) != 2 || g.Scope.Application != "checkout" {
		t.Errorf("decoded %+v", g)
	}
}
