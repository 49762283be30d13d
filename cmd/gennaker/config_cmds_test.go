package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// TestLoadConfigOpenSLODirectory: a directory of OpenSLO files is config
// on its own (its SLOs are applied), and one whose SLO reads Datadog fails
// with the "not supported" message at the field.
func TestLoadConfigOpenSLODirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	slo := `apiVersion: openslo/v1
kind: SLO
metadata: {name: api-availability}
spec:
  service: api
  indicator:
    metadata: {name: api-errors}
    spec:
      ratioMetric:
        good: {metricSource: {type: GennakerFrontDoor, spec: {metric: good}}}
        total: {metricSource: {type: %s, spec: {metric: requests, query: x}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
`
	if err := os.WriteFile(filepath.Join(dir, "slo.yaml"), []byte(strings.Replace(slo, "%s", "GennakerFrontDoor", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig([]string{dir}, model.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SLOs) != 1 || cfg.SLOs[0].Name != "api-availability" || cfg.SLOs[0].Application != "api" {
		t.Fatalf("SLOs = %+v, want api-availability of application api", cfg.SLOs)
	}

	if err := os.WriteFile(filepath.Join(dir, "slo.yaml"), []byte(strings.Replace(slo, "%s", "Datadog", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig([]string{dir}, model.Config{})
	want := `slo.yaml:11:38: SLO "api-availability": spec.indicator.spec.ratioMetric.total.metricSource.type: not supported: metric source type Datadog`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %s", err, want)
	}
}
