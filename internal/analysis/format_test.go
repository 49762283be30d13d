package analysis

import (
	"math"
	"testing"
)

func TestFormatSig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v      float64
		digits int
		want   string
	}{
		{0, 4, "0"},
		{12.3456, 4, "12.35"},
		{0.0012345, 4, "0.001234"},
		{123456, 4, "123500"},
		{1234.5, 3, "1230"},
		{9.99996, 4, "10"},
		{-0.5, 4, "−0.5"},
		{1.08e-05, 3, "1.08e−5"},
		{3.4e9, 3, "3.4e9"},
		{1.46e-17, 3, "1.46e−17"},
		{math.Inf(1), 4, "∞"},
		{math.MaxFloat64, 4, "∞"},
		{-math.MaxFloat64, 4, "−∞"},
		{math.NaN(), 4, "–"},
	} {
		if got := FormatSig(c.v, c.digits); got != c.want {
			t.Errorf("FormatSig(%v, %d) = %q, want %q", c.v, c.digits, got, c.want)
		}
	}
}

func TestFormatValueAndChange(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		got, want string
	}{
		{FormatValue(0.0716, UnitSeconds), "71.6 ms"},
		{FormatValue(1.25, UnitSeconds), "1.25 s"},
		{FormatValue(0.00005, UnitSeconds), "50 µs"},
		{FormatValue(0.22034, UnitFraction), "22.03%"},
		{FormatValue(math.MaxFloat64, UnitSeconds), "∞"},
		{FormatValue(1234.5678, UnitNone), "1235"},
		{FormatChange(0.010, 0.0138, UnitSeconds), "+38%"},
		{FormatChange(0.010, 0.009, UnitSeconds), "−10%"},
		{FormatChange(0, 0.22, UnitFraction), "0% → 22%"},
		{FormatChange(0.01, math.MaxFloat64, UnitSeconds), "10 ms → ∞"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestMetricUnit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, query string
		want        Unit
	}{
		{"latency-p99", "latency_p99", UnitSeconds},
		{"p99", `histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[1m]))`, UnitSeconds},
		{"error-rate", "error_rate", UnitFraction},
		{"requests", "rate(http_requests_total[1m])", UnitNone},
	} {
		if got := MetricUnit(c.name, c.query); got != c.want {
			t.Errorf("MetricUnit(%q, %q) = %q, want %q", c.name, c.query, got, c.want)
		}
	}
}
