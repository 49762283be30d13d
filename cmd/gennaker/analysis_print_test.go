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

// A critical metric says so in its own column, and numbers carry at most
// four significant digits.
func TestPrintMetricsCriticalAndDigits(t *testing.T) {
	t.Parallel()
	m := analysis.MetricResult{Name: "error-rate", Group: "errors", Classification: analysis.ClassHigh, Critical: true, Tested: true,
		P: 0.000063912345, Estimate: 0.22034567891, Low: 0.1578912345, High: 0.25000000001, EffectMeasure: analysis.EffectMeanRatio, EffectSize: 3.14159265, Power: 0.8,
		Baseline: analysis.SampleSummary{Count: 30, Mean: 0.0123456789}, Canary: analysis.SampleSummary{Count: 30, Mean: 0.2345678912}}
	var b bytes.Buffer
	printMetrics(&b, []analysis.MetricResult{m}, nil)
	out := b.String()
	for _, want := range []string{"CRITICAL", "critical", "0.01235", "0.2346", "0.2203 [0.1579, 0.25]", "6.39e-05", "3.14"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, noise := range []string{"*", "0.220345", "0.012345", "3.1415"} {
		if strings.Contains(out, noise) {
			t.Errorf("output has %q:\n%s", noise, out)
		}
	}
}
