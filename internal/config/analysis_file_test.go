package config

import (
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
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

// `gennaker judge` and `analysis replay` read a bare block with the checks
// `validate` and `apply` run on a canary's analysis: the same config is
// refused on every path, with file:line:column.
func TestParseAnalysisChecksLikeValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"cles above 1", "metrics:\n  - {name: p95, direction: increase, effectSize: {measure: cles, allowedIncrease: 1.1}}\n",
			"a.yaml:2:83: analysis config: metrics[0].effectSize.allowedIncrease: 1.1 is out of range"},
		{"negative minSamples", "minSamples: -5\n", "a.yaml:1:13: analysis config: minSamples: -5 is negative"},
		{"negative maxExtensions", "maxExtensions: -1\n", "a.yaml:1:16: analysis config: maxExtensions: -1 is negative"},
		{"lifetime shorter than the interval", "interval: 2m\nlifetime: 1m\n", "a.yaml:2:11: analysis config: lifetime: 1m0s is shorter than one interval"},
		{"group of the default metrics misspelled", "groups: [{name: latnecy, weight: 50}]\n", `a.yaml:1:17: analysis config: groups[0].name: no metric is in group "latnecy" (the metrics are in "errors", "latency")`},
		{"template", "apiVersion: gennaker.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics: [{name: p95, outliers: {factor: -1}}]\n",
			`a.yaml:5:44: AnalysisTemplate "t": spec.metrics[0].outliers.factor: -1 is negative`},
	} {
		for _, parse := range []func(string, []byte) (model.AnalysisSpec, error){ParseAnalysis, ParseOfflineAnalysis} {
			_, err := parse("a.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
			}
		}
	}
}

// What only a canary can use is refused offline, where it would do nothing.
func TestParseOfflineAnalysis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"threshold judge", "judge: threshold\n", "a.yaml:1:8: analysis config: judge: judge: threshold compares front-door counters"},
		{"groups without metrics", "groups: [{name: errors, weight: 50}, {name: latency, weight: 50}]\n",
			`a.yaml:1:9: analysis config: groups: without metrics, judge compares every metric of the files in the group "default"`},
		{"threshold judge in a template", "apiVersion: gennaker.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  judge: threshold\n",
			`a.yaml:5:10: AnalysisTemplate "t": spec.judge: judge: threshold compares`},
	} {
		if _, err := ParseAnalysis("a.yaml", []byte(tc.yaml)); err != nil {
			t.Errorf("%s: a canary can use it, but ParseAnalysis says %v", tc.name, err)
		}
		_, err := ParseOfflineAnalysis("a.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}
