package analysis

import (
	"strings"
	"testing"
)

// A wide interval whose low end clears zero but not Kayenta's tolerance
// (0.25 × |shift|): a critical metric is High, a plain one passes and says
// the increase was significant but within the tolerance.
func TestToleranceSparesOnlyNonCriticalMetrics(t *testing.T) {
	t.Parallel()

	base := make([]float64, 10)
	can := []float64{0.01, 0.02, 0.9, 0.95, 0.97, 0.03, 0.99, 0.02, 0.98, 0.01}
	cfg := AnalysisConfig{MinSamples: 5}.WithDefaults()
	plain := MetricConfig{Name: "errors", Direction: DirectionIncrease}.WithDefaults()
	crit := plain
	crit.Critical = true

	p := ClassifyMetric(cfg, plain, MetricSamples{Name: "errors", Baseline: base, Canary: can})
	if p.Low <= 0 || p.Low > p.Tolerance {
		t.Fatalf("fixture no longer makes the interval clear zero but not the tolerance: low %v, tolerance %v", p.Low, p.Tolerance)
	}
	if p.Classification != ClassPass || !strings.Contains(p.Reason, "significant increase but within the tolerance") {
		t.Errorf("plain metric: %s: %s", p.Classification, p.Reason)
	}
	c := ClassifyMetric(cfg, crit, MetricSamples{Name: "errors", Baseline: base, Canary: can})
	if c.Classification != ClassHigh || !c.CriticalFailure {
		t.Errorf("critical metric: %s (critical failure %v): %s", c.Classification, c.CriticalFailure, c.Reason)
	}
}
