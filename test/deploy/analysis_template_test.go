package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// TestAnalysisTemplate: a canary step names an AnalysisTemplate with a
// warm-up, an interval and a lifetime. The execution keeps a copy of the
// template as it was when it started (a later change does not reach it),
// nothing is measured during the warm-up, and the lifetime makes two
// intervals.
func TestAnalysisTemplate(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	golden := model.AnalysisTemplate{Name: "golden", Spec: model.AnalysisSpec{
		// Four per-second samples a side can be significant at 90% (never at
		// the default 98%, where the judge would call it too little data).
		Warmup: model.Duration(2 * time.Second), Interval: model.Duration(4 * time.Second), Lifetime: model.Duration(8 * time.Second),
		MinSamples: 4, MaxExtensions: 3, ConfidenceLevel: 0.9,
		// This test is about the template's plumbing, not the verdict: with
		// so few samples a latency metric of two equal versions differs by
		// chance now and then, which these thresholds let pass.
		Thresholds: model.ScoreThresholds{Pass: 50, Marginal: 10},
	}}
	if _, err := r.c.Apply(r.ctx(), model.Config{AnalysisTemplates: []model.AnalysisTemplate{golden}}); err != nil {
		t.Fatal(err)
	}
	r.apply(appOpts{instances: 1}, canaryWith("canary", nil, "", setWeight(50),
		model.CanaryStep{Analysis: &model.AnalysisStep{TemplateRef: "golden"}}))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	tr := startTraffic(t, r.frontDoor, 40)
	defer tr.halt()

	id := r.deploy("canary", "v2", nil)
	e := r.waitFor(id, 30*time.Second, "to warm up", func(e *model.Execution) bool {
		return e.Status.Terminal() || strings.Contains(describe(e), "warming up")
	})
	sawWarming := time.Now()
	if e.Status.Terminal() {
		t.Fatalf("the stage never said it was warming up: %s", describe(e))
	}
	// Changing the template now does not change the running execution.
	golden.Spec.MinSamples = 1000
	if _, err := r.c.Apply(r.ctx(), model.Config{AnalysisTemplates: []model.AnalysisTemplate{golden}}); err != nil {
		t.Fatal(err)
	}

	e = r.mustSucceed(id, time.Minute)
	steps := e.Spec.Stages[0].Deploy.Strategy.Canary.Steps
	if res := steps[1].Analysis.Resolved; res == nil || res.MinSamples != 4 || res.Warmup.D() != 2*time.Second {
		t.Fatalf("the execution's snapshot should hold the template as it started: %+v", steps[1].Analysis)
	}
	recs := r.analysisRecords(id)
	var judged []decodedRecord
	for _, rec := range recs {
		if rec.Outcome != string(analysis.OutcomeExtend) {
			judged = append(judged, rec)
		}
	}
	if len(judged) != 2 {
		t.Fatalf("lifetime 8s / interval 4s should judge 2 intervals:%s", recordsString(recs))
	}
	if first := recs[0].Data.Start; !first.After(sawWarming) {
		t.Errorf("the first interval started at %s, before the warm-up seen at %s ended", first.Format(time.StampMilli), sawWarming.Format(time.StampMilli))
	}
	if recs[0].Data.Config.MinSamples != 4 {
		t.Errorf("the record should carry the template's config: minSamples %d", recs[0].Data.Config.MinSamples)
	}
}
