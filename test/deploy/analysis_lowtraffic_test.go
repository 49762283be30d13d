package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// TestAnalysisNotEnoughTraffic: a canary judged on the front door's
// per-second samples with about one request per second never reaches
// minSamples: the interval extends once, then the analysis is inconclusive
// and (onInconclusive default: pause) the stage waits for a person.
// Approving goes on and promotes; rejecting rolls back.
func TestAnalysisNotEnoughTraffic(t *testing.T) {
	t.Parallel()
	for _, decision := range []string{model.DecisionApprove, model.DecisionReject} {
		t.Run(decision, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			spec := &model.AnalysisSpec{MinSamples: 20, MaxExtensions: 1} // default metrics: the front door's
			r.apply(appOpts{instances: 1}, canaryWith("canary", spec, "", setWeight(50), analysisStep(2*time.Second, 1)))
			r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
			v1 := r.groups()[0].Name
			startTraffic(t, r.frontDoor, 1)

			start := time.Now()
			id := r.deploy("canary", "v2", nil)
			e := r.waitFor(id, 30*time.Second, "to wait for a person", func(e *model.Execution) bool {
				return e.Status.Terminal() || (len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting)
			})
			t.Logf("waiting after %s: %s", time.Since(start).Round(time.Millisecond), describe(e))
			if e.Status.Terminal() {
				t.Fatalf("an analysis without enough traffic must neither pass nor fail on its own: %s", describe(e))
			}
			if !strings.Contains(e.Stages[0].Reason, "inconclusive") && !strings.Contains(describe(e), "inconclusive") {
				t.Errorf("the waiting stage should say the analysis was inconclusive: %s", describe(e))
			}
			recs := r.analysisRecords(id)
			if len(recs) != 2 || recs[0].Outcome != string(analysis.OutcomeExtend) || recs[1].Outcome != string(analysis.OutcomeInconclusive) {
				t.Fatalf("want records extend then inconclusive:%s", recordsString(recs))
			}
			if !strings.Contains(recs[1].Reason, "too little data") {
				t.Errorf("the inconclusive record should say there was too little data: %q", recs[1].Reason)
			}
			for _, m := range recs[1].Data.Metrics {
				if m.Source != model.SourceFrontDoor || len(m.Canary) >= 20 {
					t.Errorf("%s: source %s with %d canary samples; want frontdoor, fewer than 20", m.Name, m.Source, len(m.Canary))
				}
			}
			// The extended interval kept its start: its samples accumulate.
			if !recs[1].Data.Start.Equal(recs[0].Data.Start) || !recs[1].Data.End.After(recs[0].Data.End) {
				t.Errorf("the extension should keep the interval's start: #1 %s-%s, #2 %s-%s",
					recs[0].Data.Start, recs[0].Data.End, recs[1].Data.Start, recs[1].Data.End)
			}
			// It stays waiting: no verdict on its own.
			time.Sleep(time.Second)
			if e, _ := r.c.Execution(r.ctx(), id); e == nil || e.Status.Terminal() || e.Stages[0].Status != model.StageWaiting {
				t.Fatalf("the inconclusive canary should keep waiting for a person: %s", describe(e))
			}
			if g := r.groups(); len(g) < 3 {
				t.Errorf("while waiting, production, baseline and canary should all run: %s", groupsString(g))
			}

			if _, err := r.c.Judge(r.ctx(), id, decision, "", "test "+decision+"s"); err != nil {
				t.Fatalf("%s: %v", decision, err)
			}
			e = r.wait(id, time.Minute)
			t.Logf("after %s: %s", decision, describe(e))
			if decision == model.DecisionApprove {
				if e.Status != model.ExecutionSucceeded {
					t.Fatalf("an approved inconclusive canary should go on and be promoted: %s", describe(e))
				}
				gs := r.groups()
				if len(gs) != 1 || gs[0].Version != "v2" || gs[0].Weight != 100 {
					t.Fatalf("after approval v2 should take all traffic: %s", groupsString(gs))
				}
				if n := len(r.analysisRecords(id)); n != 2 {
					t.Errorf("approval should not judge again: %d records", n)
				}
				return
			}
			if e.Status != model.ExecutionFailed {
				t.Fatalf("a rejected inconclusive canary should fail: %s", describe(e))
			}
			if !strings.Contains(e.Reason, "inconclusive") || !strings.Contains(e.Reason, "rejected") {
				t.Errorf("the reason should say the inconclusive analysis was rejected: %q", e.Reason)
			}
			assertBackOnV1(t, r, e, v1)
		})
	}
}
