package config

import (
	"path/filepath"
	"testing"
)

// TestExamplesAreValid: the config the README's tour applies loads cleanly.
func TestExamplesAreValid(t *testing.T) {
	t.Parallel()
	cfg, err := LoadDir(filepath.Join("..", "..", "examples", "quickstart"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Applications) != 1 || len(cfg.Environments) != 1 || len(cfg.Pipelines) != 1 || len(cfg.AnalysisTemplates) != 1 {
		t.Errorf("quickstart: %d applications, %d environments, %d pipelines, %d templates", len(cfg.Applications), len(cfg.Environments), len(cfg.Pipelines), len(cfg.AnalysisTemplates))
	}
}
