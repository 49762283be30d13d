package analysis

import "github.com/gennaker/gennaker/internal/model"

// DefaultMetrics are what the statistical judge compares when a canary names
// no metrics: the front door's per-second 5xx share (critical: any
// significant increase fails the canary) and its p99, p95 and mean latency
// (a significant increase of more than 10% fails, so a 20% regression is
// caught, not a coin flip at the gate; see docs/benchmarks.md).
func DefaultMetrics() []MetricConfig {
	slower := EffectSize{AllowedIncrease: 1.1}
	return []MetricConfig{
		{Name: "error-rate", Group: "errors", Source: model.SourceFrontDoor, Query: "error_rate",
			Direction: DirectionIncrease, NaNStrategy: NaNReplace, Critical: true},
		{Name: "latency-p99", Group: "latency", Source: model.SourceFrontDoor, Query: "latency_p99",
			Direction: DirectionIncrease, EffectSize: slower},
		{Name: "latency-p95", Group: "latency", Source: model.SourceFrontDoor, Query: "latency_p95",
			Direction: DirectionIncrease, EffectSize: slower},
		{Name: "latency-mean", Group: "latency", Source: model.SourceFrontDoor, Query: "latency_mean",
			Direction: DirectionIncrease, EffectSize: slower},
	}
}

// ConfigFor is the statistical judge's config for a canary's analysis block:
// as written, with DefaultMetrics when it names none.
func ConfigFor(spec model.AnalysisSpec) AnalysisConfig {
	if len(spec.Metrics) == 0 {
		spec.Metrics = DefaultMetrics()
	}
	return spec
}
