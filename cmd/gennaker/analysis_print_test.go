package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/analysis"
)

// A latency quantile tested on the interval's requests shows the threshold,
// each side's requests above it, and the pooled quantiles its effect is the
// ratio of.
func TestPrintMetricsTail(t *testing.T) {
	t.Parallel()
	m := analysis.MetricResult{Name: "latency-p99", Group: "latency", Classification: analysis.ClassHigh, Tested: true,
		Test: analysis.TestTail, Quantile: 0.99, Threshold: 0.0712, P: 0.0004, Estimate: 0.012, Low: 0.004, High: 0.02,
		EffectMeasure: analysis.EffectMeanRatio, EffectSize: 1.21, Power: 0.8,
		Baseline: analysis.SampleSummary{Count: 50, Mean: 0.055, Events: 38, Trials: 2497, Quantile: 0.0641},
		Canary:   analysis.SampleSummary{Count: 50, Mean: 0.061, Events: 81, Trials: 2512, Quantile: 0.0776}}
	var b bytes.Buffer
	printMetrics(&b, []analysis.MetricResult{m}, nil)
	out := b.String()
	for _, want := range []string{"tail >71.2ms: 81/2512 vs 38/2497", "p99 77.6ms/64.1ms 1.21"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
