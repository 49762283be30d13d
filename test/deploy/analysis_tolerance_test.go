package deploy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestAnalysisToleranceReason feeds the judge, through the HTTP JSON source,
// the error-rate samples of a real run of test/e2e/testdata/analysis.txtar
// in which a canary answering ~43% 5xx (every canary second above every
// baseline second, p=0.0028) was promoted: the 98% interval [0.0909, 0.857]
// excludes zero but its lower end is below Kayenta's tolerance 0.25 × 0.4 =
// 0.1, so the metric is classified pass. That follows the documented Kayenta
// rule; but the record then says "no significant difference", which is false
// (the difference is significant, only within the tolerance), and is all a
// person reading `gennaker analysis show` learns about why a 43%-error canary
// passed. (internal/analysis/classify.go:160.)
func TestAnalysisToleranceReason(t *testing.T) {
	t.Parallel()
	samples := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/canary":
			w.Write([]byte(`[0.8571428571428571, 0.3, 0.5, 0.09090909090909091, 0.2222222222222222, 0.5833333333333334]`))
		case "/baseline":
			w.Write([]byte(`[0, 0, 0, 0, 0, 0]`))
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(samples.Close)
	r := newRig(t)
	spec := &model.AnalysisSpec{MinSamples: 6, Metrics: []model.AnalysisMetric{{
		Name: "error-rate", Source: model.SourceHTTP, Query: samples.URL + "/{{role}}",
		Direction: model.DirectionIncrease, Critical: true,
	}}}
	r.apply(appOpts{instances: 1}, canaryWith("canary", spec, "rollback", setWeight(50), analysisStep(time.Second, 1)))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)

	id := r.deploy("canary", "v2", nil)
	e := r.wait(id, time.Minute)
	recs := r.analysisRecords(id)
	t.Logf("%s; records:%s", describe(e), recordsString(recs))
	if len(recs) != 1 || len(recs[0].Report.Metrics) != 1 {
		t.Fatalf("want one record with one metric:%s", recordsString(recs))
	}
	m := recs[0].Report.Metrics[0]
	if q := recs[0].Data.Metrics[0].CanaryQuery; q != samples.URL+"/canary" {
		t.Errorf("the http source's query should be rendered with {{role}}: %q", q)
	}
	if !m.Tested || m.P >= 0.02 || m.Low <= 0 {
		t.Fatalf("the samples should differ significantly at 0.98 (p %.4g, interval [%.4g, %.4g])", m.P, m.Low, m.High)
	}
	t.Logf("error-rate: %s (%s), outcome %s", m.Classification, m.Reason, e.Status)
	if strings.Contains(m.Reason, "no significant difference") {
		t.Errorf("BUG internal/analysis/classify.go:160: p=%.4g and the %.0f%% interval [%.4g, %.4g] excludes zero, "+
			"yet the record says %q; it should say the increase is significant but within the tolerance %.4g",
			m.P, 100*m.ConfidenceLevel, m.Low, m.High, m.Reason, m.Tolerance)
	}
}
