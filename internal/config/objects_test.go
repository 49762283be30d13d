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
