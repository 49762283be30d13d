package web

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// The fixtures in testdata are what GET /api/v1/executions/{id}/analysis
// returned after `gennaker demo`: v3 (20% errors, 60ms latency) failed on
// its first interval, v2 passed three.

func loadRecords(t *testing.T, file, execID string) []store.AnalysisRecord {
	t.Helper()
	b, err := os.ReadFile(file)
	must(t, err)
	var recs []store.AnalysisRecord
	must(t, json.Unmarshal(b, &recs))
	for i := range recs {
		recs[i].ExecutionID = execID
	}
	return recs
}

// statisticalPage stores an execution with the fixture's records and returns its analysis page.
func (r *rig) statisticalPage(file, execID string) string {
	r.t.Helper()
	ctx := context.Background()
	p := model.Pipeline{Name: "checkout-canary", Application: "checkout"}
	must(r.t, r.st.ExecutionInsert(ctx, &model.Execution{ID: execID, Pipeline: p.Name, Application: "checkout", Status: model.ExecutionFailed,
		Params: map[string]string{"version": "v3"}, Spec: p, CreatedAt: t0, EndedAt: ptr(t0.Add(time.Minute)),
		Stages: []model.Stage{{Name: "canary", Type: model.StageDeploy, Status: model.StageFailed, Attempt: 1, StartedAt: ptr(t0), EndedAt: ptr(t0.Add(time.Minute))}}}))
	for _, rec := range loadRecords(r.t, file, execID) {
		must(r.t, r.st.AnalysisInsert(ctx, &rec))
	}
	code, body := r.get("/executions/" + execID + "/analysis")
	if code != 200 {
		r.t.Fatalf("GET analysis = %d:\n%s", code, body)
	}
	return body
}

// outsidePre drops the raw record, which shows the JSON as stored.
func outsidePre(html string) string {
	return regexp.MustCompile(`(?s)<pre>.*?</pre>`).ReplaceAllString(html, "")
}

func TestStatisticalAnalysisFailed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	body := outsidePre(r.statisticalPage("testdata/analysis-statistical-failed.json", "exec-stat"))
	for _, w := range []string{
		// The score against the judge's real thresholds.
		">pass 95</text>", ">marginal 75</text>", "at or above 95 the interval passes, at or below 75 the analysis fails at once",
		// Failing classifications look failed.
		`<span class="badge failed">high</span>`, `<tbody class="metric failed">`, `class="metric-figure failed"`,
		// What decided, in words, with the interval of the shift, the tolerance and the allowed effect.
		"High: the 98% interval of the shift canary − baseline is 13.33% to 27.27%, all above zero (p = 6.34e−5), and the mean ratio canary ÷ baseline is ∞, more than the allowed 1. It is critical, so the interval scores 0.",
		"It is critical, so the interval scores 0.",
		"mean ratio; allowed ≤ 1.2",
		// Key statistics; the rest behind <details>.
		"n baseline / canary", "10 / 10", "Mean canary", "20.39%", "p-value", "U 100", "More about error-rate in interval 1",
		"baseline std dev", "power",
		// Plots of the samples and of the shift, with accessible names.
		`aria-labelledby="canary-error-rate-samples-title" aria-describedby="canary-error-rate-samples-desc"`,
		"error-rate: samples of baseline and canary per interval</title>",
		"interval 1: baseline 10 samples, median 0, middle half 0 to 0; canary 10 samples, median 0.1635, middle half 0.1357 to 0.2688; high",
		`class="sample canary failed"`, `class="ci failed"`, "shift canary − baseline, share of requests (0: no change)", "shift canary − baseline, time (0: no change)", ">score</text>",
		// The judge's configuration, with defaults.
		"Judge configuration", "<dt>confidenceLevel</dt><dd>0.98</dd>", "<dt>metrics.latency-p95.effectSize.allowedIncrease</dt><dd>1.2</dd>",
		"Score by group", "<strong>errors</strong> 0 of 1 passed, 0 (weight 50%)",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("analysis page lacks %q", w)
		}
	}
	for _, bad := range []string{"pass 100", "every check passes", `<span class="badge muted">high</span>`, "largest canary value that passes", ">Limit<"} {
		if strings.Contains(body, bad) {
			t.Errorf("analysis page shows %q", bad)
		}
	}
	// No long numbers: the infinite effect size is ∞, and everything is compact.
	if m := regexp.MustCompile(`\d{9,}`).FindString(body); m != "" {
		t.Errorf("analysis page shows the long number %s", m)
	}
	// The failing critical metric comes first.
	if i, j := strings.Index(body, `id="metric-canary-error-rate"`), strings.Index(body, `id="metric-canary-latency-mean"`); i < 0 || j < 0 || i > j {
		t.Errorf("metric figures out of order: error-rate at %d, latency-mean at %d", i, j)
	}
}

func TestStatisticalAnalysisPassed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	body := outsidePre(r.statisticalPage("testdata/analysis-statistical-passed.json", "exec-stat-ok"))
	for _, w := range []string{
		">pass 95</text>", ">marginal 75</text>", `<span class="badge succeeded">pass</span>`,
		"Pass: canary and baseline samples are identical.",
		"Pass: the 98% interval of the shift canary − baseline is −67.58 µs to 28.16 µs, which includes zero: no significant difference (p = 0.1857).",
		`class="tol-band"`, `class="ci succeeded"`, "Interval 3",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("analysis page lacks %q", w)
		}
	}
	if strings.Contains(body, "Why it failed") {
		t.Errorf("a passing analysis says why it failed")
	}
}

// TestThresholdSources: each judge's pass and marginal lines come from
// where its records keep them.
func TestThresholdSources(t *testing.T) {
	t.Parallel()
	stat := loadRecords(t, "testdata/analysis-statistical-failed.json", "x")[0]
	custom := stat
	var meas map[string]any
	must(t, json.Unmarshal(stat.Measurements, &meas))
	meas["config"].(map[string]any)["thresholds"] = map[string]any{"pass": 90, "marginal": 50}
	custom.Measurements, _ = json.Marshal(meas)
	threshold := store.AnalysisRecord{Stage: "canary", Sequence: 1, Outcome: "fail", Score: 50,
		Measurements: []byte(`{"spec":{"judge":"threshold","minRequests":10,"thresholds":{"pass":80}},"baseline":{},"canary":{}}`),
		Verdict:      []byte(`{"checks":[{"metric":"error-rate","baseline":0,"canary":0.2,"limit":0.02,"passed":false}]}`)}
	generic := store.AnalysisRecord{Stage: "canary", Sequence: 1, Measurements: []byte(`{"config":{"thresholds":{"pass":70,"marginal":40}}}`), Verdict: []byte(`{}`)}
	for _, tc := range []struct {
		name           string
		rec            store.AnalysisRecord
		pass, marginal float64
	}{
		{"statistical, defaults", stat, 95, 75},
		{"statistical, configured", custom, 90, 50},
		{"threshold judge: every check must pass", threshold, 100, 0},
		{"generic config", generic, 70, 40},
	} {
		st := buildAnalysis(execSummary{}, []store.AnalysisRecord{tc.rec}).Stages[0]
		if st.Pass != tc.pass || st.Marginal != tc.marginal {
			t.Errorf("%s: lines %v/%v, want %v/%v", tc.name, st.Pass, st.Marginal, tc.pass, tc.marginal)
		}
		if len(st.Intervals[0].Config) == 0 && tc.name != "generic config" {
			t.Errorf("%s: no judge configuration", tc.name)
		}
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	up := analysis.MetricConfig{Direction: analysis.DirectionIncrease}.WithDefaults()
	up.EffectSize.AllowedIncrease = 1.2
	either := analysis.MetricConfig{}.WithDefaults()
	tested := func(c analysis.Classification, low, est, high, tol, effect float64) analysis.MetricResult {
		return analysis.MetricResult{Classification: c, Tested: true, Low: low, Estimate: est, High: high, Tolerance: tol, EffectSize: effect,
			P: 0.001, ConfidenceLevel: 0.98, EffectMeasure: analysis.EffectMeanRatio}
	}
	for _, tc := range []struct {
		name string
		r    analysis.MetricResult
		m    analysis.MetricConfig
		want string
	}{
		{"high", tested(analysis.ClassHigh, 2, 3, 4, 0.75, 1.5), up,
			"High: the 98% interval of the shift canary − baseline is 2 to 4, all above the tolerance ±0.75 (p = 0.001), and the mean ratio canary ÷ baseline is 1.5, more than the allowed 1.2."},
		{"low", tested(analysis.ClassLow, -4, -3, -2, 0.75, 0.5), either,
			"Low: the 98% interval of the shift canary − baseline is −4 to −2, all below −0.75 (p = 0.001), and the mean ratio canary ÷ baseline is 0.5, less than the allowed 1."},
		{"within the allowed effect", tested(analysis.ClassPass, 2, 3, 4, 0.75, 1.1), up,
			"Pass: the 98% interval of the shift canary − baseline is 2 to 4, above the tolerance ±0.75, but the mean ratio canary ÷ baseline is 1.1, within the allowed 1.2."},
		{"within the tolerance", tested(analysis.ClassPass, 0.5, 3, 4, 0.75, 1.5), up,
			"Pass: the 98% interval of the shift canary − baseline is 0.5 to 4; it excludes zero but not the tolerance ±0.75: a difference too small to count." +
				" The effect size (mean ratio canary ÷ baseline 1.5) is beyond what is allowed, but it counts only once the shift is significant and clears the tolerance, which it did not: the allowance spares small significant changes, it does not fail changes the test cannot tell from noise."},
		{"a decrease does not count", tested(analysis.ClassPass, -4, -3, -2, 0.75, 0.5), up,
			"Pass: the 98% interval of the shift canary − baseline is −4 to −2, lower, but only an increase counts for this metric."},
		{"no data", analysis.MetricResult{Classification: analysis.ClassNoData, Insufficient: true, Reason: "too few samples (baseline 3, canary 2; each needs 8)"}, up,
			"No verdict: too few samples (baseline 3, canary 2; each needs 8). Too little data extends the interval, and makes it inconclusive when no extension is left."},
		{"infinite effect", tested(analysis.ClassHigh, 0.1, 0.2, 0.3, 0, math.MaxFloat64), up,
			"High: the 98% interval of the shift canary − baseline is 0.1 to 0.3, all above zero (p = 0.001), and the mean ratio canary ÷ baseline is ∞, more than the allowed 1.2."},
	} {
		if got := explain(tc.r, tc.m, metricFmt(tc.r, "")); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestFmtNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   any
		want string
	}{
		{0.0, "0"}, {12.0, "12"}, {250000.0, "250000"}, {1.5, "1.5"}, {12.345, "12.35"}, {1234.56, "1235"}, {123456.0, "123500"},
		{0.20389692666008452, "0.2039"}, {0.004815476190476191, "0.004815"}, {6.340287417294035e-05, "6.34e−5"},
		{-2.821e-05, "−2.821e−5"}, {1.23e9, "1.23e9"}, {math.MaxFloat64, "∞"}, {-math.MaxFloat64, "−∞"},
		{math.Inf(1), "∞"}, {math.NaN(), "–"}, {json.Number("1.7976931348623157e+308"), "∞"}, {"text", "text"},
	} {
		if got := fmtNumber(tc.in); got != tc.want {
			t.Errorf("fmtNumber(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"high": "failed", "low": "failed", "fail": "failed", "nodata": "waiting", "pass": "succeeded", "skipped": "muted"} {
		if got := statusClass(in); got != want {
			t.Errorf("statusClass(%s) = %s, want %s", in, got, want)
		}
	}
}
