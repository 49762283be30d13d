package deploy

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/test/promenv"
)

// Queries of the statistical judge against the sample service's own metrics,
// scraped by a real Prometheus through the local provider's file_sd file.
const (
	promErrorRate = `(sum(rate(sample_http_requests_total{server_group="{{serverGroup}}",code=~"5.."}[3s])) or vector(0))` +
		` / sum(rate(sample_http_requests_total{server_group="{{serverGroup}}"}[3s]))`
	promP95 = `histogram_quantile(0.95, sum by (le) (rate(sample_http_request_duration_seconds_bucket{server_group="{{serverGroup}}"}[3s])))`
)

// promAnalysis is a canary analysis that reads Prometheus only: a critical
// error rate and a p95 latency in a lighter group (so a chance latency
// difference alone does not fail a healthy canary).
func promAnalysis(promURL string, maxExtensions int) *model.AnalysisSpec {
	return &model.AnalysisSpec{
		Prometheus: promURL,
		Metrics: []model.AnalysisMetric{
			{Name: "error-rate", Group: "errors", Source: model.SourcePrometheus, Query: promErrorRate,
				Direction: model.DirectionIncrease, Critical: true, NaNStrategy: model.NaNReplace},
			{Name: "latency-p95", Group: "latency", Source: model.SourcePrometheus, Query: promP95,
				Direction: model.DirectionIncrease, NaNStrategy: model.NaNRemove},
		},
		Groups:        []model.AnalysisGroup{{Name: "errors", Weight: 80}, {Name: "latency", Weight: 20}},
		Thresholds:    model.ScoreThresholds{Pass: 75, Marginal: 50},
		MinSamples:    5,
		MaxExtensions: maxExtensions,
	}
}

func canaryWith(name string, spec *model.AnalysisSpec, onInconclusive string, steps ...model.CanaryStep) model.Pipeline {
	return pipeline(name, model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{
		Steps: steps, Analysis: spec, OnInconclusive: onInconclusive,
	}})
}

// records reads the stored analysis records of an execution with their
// interval data and reports decoded.
type decodedRecord struct {
	store.AnalysisRecord
	Data   analysis.IntervalData
	Report analysis.Report
}

func (r *rig) analysisRecords(id string) []decodedRecord {
	r.t.Helper()
	recs, err := r.c.Analysis(r.ctx(), id)
	if err != nil {
		r.t.Fatalf("GET analysis of %s: %v", id, err)
	}
	out := make([]decodedRecord, len(recs))
	for i, rec := range recs {
		out[i].AnalysisRecord = rec
		if err := json.Unmarshal(rec.Measurements, &out[i].Data); err != nil {
			r.t.Fatalf("record %d: measurements are not IntervalData: %v\n%s", rec.Sequence, err, rec.Measurements)
		}
		if err := json.Unmarshal(rec.Verdict, &out[i].Report); err != nil {
			r.t.Fatalf("record %d: verdict is not a Report: %v\n%s", rec.Sequence, err, rec.Verdict)
		}
	}
	return out
}

func recordsString(recs []decodedRecord) string {
	var b strings.Builder
	for _, rec := range recs {
		b.WriteString("\n  #" + itoa(rec.Sequence) + " " + rec.Outcome + " score=" + itoa(int(rec.Score)) + ": " + rec.Reason)
		for _, m := range rec.Data.Metrics {
			b.WriteString("\n    " + m.Name + " baseline n=" + itoa(len(m.Baseline)) + " canary n=" + itoa(len(m.Canary)))
			if m.Error != "" {
				msg := m.Error
				if len(msg) > 160 {
					msg = msg[:160] + "…"
				}
				b.WriteString(" error=" + msg)
			}
		}
	}
	return b.String()
}

// TestAnalysisPrometheus: a real Prometheus scrapes every instance through
// the local provider's file_sd file; the canary analysis reads the sample
// service's own counters and histogram through PromQL templates. A faulty v2
// is rolled back on error-rate, its record carries the rendered queries and
// samples, and a healthy v2 is promoted.
func TestAnalysisPrometheus(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	prom := promenv.Start(t, filepath.Join(r.data, "prometheus", "targets.json"))
	// Interval 8s; a new group's targets reach Prometheus within ~5s, so the
	// first interval may have too few samples: it extends (samples accumulate).
	r.apply(appOpts{instances: 1}, canaryWith("canary", promAnalysis(prom.URL, 3), "rollback",
		setWeight(50), analysisStep(8*time.Second, 1)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	v1 := r.groups()[0].Name
	prom.WaitTargets(t, 1, 20*time.Second)
	startTraffic(t, r.frontDoor, 40)

	start := time.Now()
	id := r.deploy("canary", "v2", map[string]string{"SAMPLE_ERROR_RATE": "0.4"})
	e := r.wait(id, 90*time.Second)
	t.Logf("faulty v2 in %s: %s", time.Since(start).Round(time.Millisecond), describe(e))
	recs := r.analysisRecords(id)
	t.Logf("records:%s", recordsString(recs))
	if e.Status != model.ExecutionFailed {
		t.Fatalf("a canary answering 40%% 5xx should fail: %s", describe(e))
	}
	if !strings.Contains(e.Reason, "canary analysis failed") || !strings.Contains(e.Reason, "error-rate") {
		t.Errorf("the failure reason should name the error-rate metric: %q", e.Reason)
	}
	assertBackOnV1(t, r, e, v1)

	if len(recs) == 0 {
		t.Fatal("the failed canary stored no analysis record")
	}
	last := recs[len(recs)-1]
	if last.Outcome != string(analysis.OutcomeFail) {
		t.Errorf("the last record's outcome is %q, want fail", last.Outcome)
	}
	created := groupsOf(e)
	canaryGroup, baselineGroup := last.Data.Canary, last.Data.Baseline
	if canaryGroup == "" || baselineGroup == "" || canaryGroup == baselineGroup {
		t.Fatalf("the record names canary %q and baseline %q", canaryGroup, baselineGroup)
	}
	found := map[string]bool{}
	for _, name := range created {
		found[name] = true
	}
	if !found[canaryGroup] || !found[baselineGroup] {
		t.Errorf("the record's groups (canary %s, baseline %s) are not the ones the execution created: %v", canaryGroup, baselineGroup, created)
	}
	for _, m := range last.Data.Metrics {
		if m.Source != model.SourcePrometheus {
			t.Errorf("%s: source %q, want prometheus", m.Name, m.Source)
		}
		if m.Error != "" {
			t.Errorf("%s: the source failed: %s", m.Name, m.Error)
		}
		if !strings.Contains(m.CanaryQuery, `server_group="`+canaryGroup+`"`) || strings.Contains(m.CanaryQuery, "{{") {
			t.Errorf("%s: the canary query is not rendered for %s: %s", m.Name, canaryGroup, m.CanaryQuery)
		}
		if !strings.Contains(m.BaselineQuery, `server_group="`+baselineGroup+`"`) || strings.Contains(m.BaselineQuery, "{{") {
			t.Errorf("%s: the baseline query is not rendered for %s: %s", m.Name, baselineGroup, m.BaselineQuery)
		}
		if len(m.Canary) == 0 || len(m.Baseline) == 0 {
			t.Errorf("%s: empty samples (baseline %d, canary %d)", m.Name, len(m.Baseline), len(m.Canary))
		}
	}
	var er *analysis.MetricResult
	for i := range last.Report.Metrics {
		if last.Report.Metrics[i].Name == "error-rate" {
			er = &last.Report.Metrics[i]
		}
	}
	if er == nil {
		t.Fatalf("the report has no error-rate metric: %+v", last.Report.Metrics)
	}
	if er.Classification != analysis.ClassHigh || er.Canary.Mean < 0.2 || er.Baseline.Mean > 0.05 {
		t.Errorf("error-rate: class %s, canary mean %.3f, baseline mean %.3f; want high, ~0.4 vs ~0", er.Classification, er.Canary.Mean, er.Baseline.Mean)
	}

	start = time.Now()
	id = r.deploy("canary", "v2b", nil)
	e = r.wait(id, 90*time.Second)
	t.Logf("healthy v2b in %s: %s; records:%s", time.Since(start).Round(time.Millisecond), describe(e), recordsString(r.analysisRecords(id)))
	if e.Status != model.ExecutionSucceeded {
		t.Fatalf("a healthy canary should be promoted: %s", describe(e))
	}
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v2b" || gs[0].Weight != 100 {
		t.Fatalf("the healthy canary should be the one group with 100%%: %s", groupsString(gs))
	}
	recs = r.analysisRecords(id)
	if len(recs) == 0 || recs[len(recs)-1].Outcome != string(analysis.OutcomePass) {
		t.Errorf("the promoted canary's last record should pass:%s", recordsString(recs))
	}
}

// TestAnalysisPrometheusDown: a Prometheus that does not answer leaves the
// interval without data: it extends, then is inconclusive, and with
// onInconclusive: rollback the deploy fails saying so. Never a pass.
func TestAnalysisPrometheusDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	r.apply(appOpts{instances: 1}, canaryWith("canary", promAnalysis(closed, 1), "rollback",
		setWeight(50), analysisStep(2*time.Second, 1)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	v1 := r.groups()[0].Name
	startTraffic(t, r.frontDoor, 20)

	id := r.deploy("canary", "v2", nil)
	e := r.wait(id, time.Minute)
	recs := r.analysisRecords(id)
	t.Logf("%s; records:%s", describe(e), recordsString(recs))
	if e.Status != model.ExecutionFailed {
		t.Fatalf("a canary judged with Prometheus down must not pass: %s", describe(e))
	}
	if !strings.Contains(e.Reason, "inconclusive") {
		t.Errorf("the reason should say the analysis was inconclusive: %q", e.Reason)
	}
	assertBackOnV1(t, r, e, v1)
	if len(recs) != 2 {
		t.Fatalf("want 2 records (extend, inconclusive), got %d:%s", len(recs), recordsString(recs))
	}
	if recs[0].Outcome != string(analysis.OutcomeExtend) || recs[1].Outcome != string(analysis.OutcomeInconclusive) {
		t.Errorf("outcomes %s, %s; want extend, inconclusive", recs[0].Outcome, recs[1].Outcome)
	}
	for _, rec := range recs {
		for _, m := range rec.Data.Metrics {
			if m.Error == "" || !strings.Contains(m.Error, "prometheus") {
				t.Errorf("record %d, %s: the source error should be recorded, got %q", rec.Sequence, m.Name, m.Error)
			}
			if len(m.Canary)+len(m.Baseline) != 0 {
				t.Errorf("record %d, %s: samples from a source that is down", rec.Sequence, m.Name)
			}
		}
		for _, m := range rec.Report.Metrics {
			if m.Classification == analysis.ClassPass {
				t.Errorf("record %d: %s passes without data", rec.Sequence, m.Name)
			}
		}
	}
}
