package config

import (
	"strings"
	"testing"
)

func TestParseAnalysis(t *testing.T) {
	t.Parallel()

	good := []byte(`confidenceLevel: 0.95
metrics:
  - name: error-rate
    query: error_rate
    direction: increase
    critical: true
  - name: p95
    source: prometheus
    query: histogram_quantile(0.95, rate(x{server_group="{{serverGroup}}"}[10s]))
prometheus: http://127.0.0.1:9090
thresholds: {pass: 90, marginal: 50}
`)
	spec, err := ParseAnalysis("new.yaml", good)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Metrics) != 2 || spec.Thresholds.Pass != 90 || spec.ConfidenceLevel != 0.95 {
		t.Errorf("decoded %+v", spec)
	}

	bad := []byte(`metrics:
  - name: p95
    source: prometheus
    query: up
    direction: upward
`)
	_, err = ParseAnalysis("bad.yaml", bad)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"bad.yaml:5:16", "metrics[0].direction", "increase, decrease, either"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	noAddress := []byte(`metrics:
  - name: p95
    source: prometheus
    query: up
`)
	_, err = ParseAnalysis("noaddr.yaml", noAddress)
	if err == nil || !strings.Contains(err.Error(), "prometheus: metric \"p95\" reads Prometheus") {
		t.Errorf("want an error asking for the Prometheus address, got %v", err)
	}
}

func TestParseAnalysisTemplateDocument(t *testing.T) {
	t.Parallel()
	doc := []byte(`apiVersion: gennaker.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: golden}
spec:
  metrics:
    - {name: latency, direction: increase, critical: true, weight: 2, nanStrategy: replace}
  thresholds: {pass: 80, marginal: 60}
`)
	spec, err := ParseAnalysis("t.yaml", doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Metrics) != 1 || !spec.Metrics[0].Critical || spec.Metrics[0].Weight != 2 || spec.Thresholds.Marginal != 60 {
		t.Errorf("decoded %+v", spec)
	}

	two := append(append([]byte{}, doc...), []byte("---\n")...)
	two = append(two, []byte(strings.Replace(string(doc), "golden", "other", 1))...)
	if _, err := ParseAnalysis("t.yaml", two); err == nil || !strings.Contains(err.Error(), "t.yaml:9:1") || !strings.Contains(err.Error(), "keep one per file") {
		t.Errorf("two templates: %v", err)
	}
	app := []byte("apiVersion: gennaker.dev/v1alpha1\nkind: Environment\nmetadata: {name: prod}\n")
	if _, err := ParseAnalysis("e.yaml", app); err == nil || !strings.Contains(err.Error(), "no AnalysisTemplate") {
		t.Errorf("no template: %v", err)
	}
	badField := []byte(strings.Replace(string(doc), "critical: true", "critical: yes-please", 1))
	if _, err := ParseAnalysis("t.yaml", badField); err == nil || !strings.Contains(err.Error(), "t.yaml:6:") || !strings.Contains(err.Error(), "spec.metrics[0].critical") {
		t.Errorf("bad field: %v", err)
	}
}
