package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
)

func TestUnbreakable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"p=1.08e-05, meanRatio +Inf":     "p=1.08e−05, meanRatio ∞",
		"shift -Inf and 3-4 requests":    "shift −∞ and 3-4 requests",
		"sample-v001 rolled back to v2.": "sample-v001 rolled back to v2.",
	} {
		if got := unbreakable(in); got != want {
			t.Errorf("unbreakable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReasonHTML(t *testing.T) {
	t.Parallel()
	if got := string(reasonHTML("canary analysis failed: error-rate high <b>")); got != "canary analysis failed: error-rate high &lt;b&gt;" {
		t.Errorf("a short reason is shown whole and escaped: %q", got)
	}
	long := "canary analysis failed: score 0.0 is fail (pass >= 95, fail <= 75); " + strings.Repeat("error-rate high (shift 0.2203, p=6.39e-05, meanRatio +Inf); ", 5)
	got := string(reasonHTML(long))
	summary, body, ok := strings.Cut(strings.TrimPrefix(got, `<details class="reason-more"><summary>`), "</summary>")
	if !ok || !strings.HasSuffix(summary, " …") || len([]rune(summary)) > reasonMax {
		t.Fatalf("a long reason should show its start as the summary of a <details>: %q", got)
	}
	if !strings.Contains(body, "p=6.39e−05") || !strings.Contains(body, "meanRatio ∞") || strings.Contains(body, "+Inf") {
		t.Errorf("the whole reason should follow, with unbreakable numbers and ∞: %q", body)
	}
}

func TestTimeHTML(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 9, 5, 6, 0, time.FixedZone("CET", 3600))
	if got, want := string(timeHTML(at)), `<time datetime="2026-12-04T08:05:06Z">2026-12-04 08:05:06 UTC</time>`; got != want {
		t.Errorf("timeHTML = %q, want %q", got, want)
	}
}

// TestExplainEffectAndPower: a passing metric whose effect size is beyond
// the allowance, at low power, says why that is no contradiction.
func TestExplainEffectAndPower(t *testing.T) {
	t.Parallel()
	m := analysis.MetricConfig{Direction: analysis.DirectionEither, EffectSize: analysis.EffectSize{AllowedIncrease: 1.1, AllowedDecrease: 0.9}}
	r := analysis.MetricResult{Classification: analysis.ClassPass, Tested: true, EffectMeasure: analysis.EffectMeanRatio, EffectSize: 1.98, Power: 0.0597, Low: -1, High: 2}
	got := explainEffect(r, m)
	for _, want := range []string{"mean ratio canary ÷ baseline 1.98) is beyond what is allowed", "counts only once the shift is significant", "power was 6%", "weak evidence"} {
		if !strings.Contains(got, want) {
			t.Errorf("explainEffect lacks %q: %s", want, got)
		}
	}
	r.Power, r.EffectSize = 0.95, 1.05
	if got := explainEffect(r, m); got != "" {
		t.Errorf("a small effect at high power needs no explanation: %q", got)
	}
}

func TestValueFmt(t *testing.T) {
	t.Parallel()
	vf := metricFmt(analysis.MetricResult{Name: "latency-p99", Baseline: analysis.SampleSummary{Mean: 0.012}, Canary: analysis.SampleSummary{Mean: 0.0166}}, "")
	for v, want := range map[float64]string{0.0166: "16.6 ms", 1.46e-17: "0 ms", 1.25: "1.25 s", 0.0000531: "53.1 µs"} {
		if got := vf.of(v); got != want {
			t.Errorf("of(%v) = %q, want %q", v, got, want)
		}
	}
	er := metricFmt(analysis.MetricResult{Name: "error-rate", Canary: analysis.SampleSummary{Mean: 0.3}}, "error_rate")
	if got := er.interval(0.1333, 0.2727); got != "13.33% to 27.27%" {
		t.Errorf("interval = %q", got)
	}
}
