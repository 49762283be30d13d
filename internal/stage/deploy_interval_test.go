package stage

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

var twoMinutes = AnalysisTiming{Interval: time.Minute, Intervals: 2}

func TestDecideVerdict(t *testing.T) {
	t.Parallel()
	first := twoMinutes.FirstInterval(clock)
	last := AnalysisInterval{Index: 1, Start: clock.Add(time.Minute), End: clock.Add(2 * time.Minute)}
	extended := AnalysisInterval{Index: 0, Start: clock, End: clock.Add(2 * time.Minute), Extensions: 1}
	now := first.End
	for _, tc := range []struct {
		name    string
		cur     AnalysisInterval
		outcome analysis.Outcome
		want    VerdictDecision
	}{
		{"a pass measures the next interval from now", first, analysis.OutcomePass,
			VerdictDecision{Action: VerdictNextInterval, Next: AnalysisInterval{Index: 1, Start: now, End: now.Add(time.Minute)}}},
		{"a pass of an extended interval starts the next afresh", extended, analysis.OutcomePass,
			VerdictDecision{Action: VerdictNextInterval, Next: AnalysisInterval{Index: 1, Start: now, End: now.Add(time.Minute)}}},
		{"a pass of the last interval passes the step", last, analysis.OutcomePass, VerdictDecision{Action: VerdictPassed, Next: last}},
		{"too little data measures longer, keeping the start", first, analysis.OutcomeExtend,
			VerdictDecision{Action: VerdictExtend, Next: AnalysisInterval{Index: 0, Start: clock, End: now.Add(time.Minute), Extensions: 1}}},
		{"inconclusive", extended, analysis.OutcomeInconclusive, VerdictDecision{Action: VerdictInconclusive, Next: extended}},
		{"fail", first, analysis.OutcomeFail, VerdictDecision{Action: VerdictFail, Next: first}},
		{"an outcome this server does not know fails", first, analysis.Outcome("maybe"), VerdictDecision{Action: VerdictFail, Next: first}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DecideVerdict(tc.cur, tc.outcome, now, twoMinutes); got != tc.want {
				t.Fatalf("DecideVerdict = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAnalysisPhase(t *testing.T) {
	t.Parallel()
	warm := analysisState{AnalysisInterval: AnalysisInterval{Start: clock.Add(time.Minute)}}
	measuring := analysisState{AnalysisInterval: twoMinutes.FirstInterval(clock)}
	for _, tc := range []struct {
		name string
		a    analysisState
		now  time.Time
		want analysisPhase
	}{
		{"during the warm-up", warm, clock, analysisWarmup},
		{"the warm-up is over", warm, clock.Add(time.Minute), analysisBegin},
		{"no warm-up", analysisState{AnalysisInterval: AnalysisInterval{Start: clock}}, clock, analysisBegin},
		{"an interval under way", measuring, clock.Add(59 * time.Second), analysisMeasuring},
		{"an interval at its end is judged", measuring, clock.Add(time.Minute), analysisJudge},
		{"an inconclusive interval waits for a person, however late", analysisState{AnalysisInterval: measuring.AnalysisInterval, AwaitingPerson: true}, clock.Add(time.Hour), analysisAwaitPerson},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.a.phase(tc.now); got != tc.want {
				t.Fatalf("phase = %d, want %d", got, tc.want)
			}
		})
	}
}

// What a verdict means for the deploy: go on, measure, ask, or fail (which
// afterStep turns into an abort that restores traffic).
func TestVerdictOutcome(t *testing.T) {
	t.Parallel()
	first := twoMinutes.FirstInterval(clock)
	now := first.End
	end := map[string]analysis.Counters{"checkout-v002": {Requests: 2000}}
	for _, tc := range []struct {
		name           string
		outcome        analysis.Outcome
		onInconclusive string
		want           stepKind
		wantReason     string
		wantAwaiting   bool
	}{
		{"pass: the next interval, from the counters read now", analysis.OutcomePass, "", stepWait, "interval 1 passed; measuring interval 2/2", false},
		{"extend: measure longer", analysis.OutcomeExtend, "", stepWait, "not enough data yet (12 requests): measuring longer", false},
		{"inconclusive pauses for a person by default", analysis.OutcomeInconclusive, "", stepWaitPerson, "canary analysis inconclusive: 12 requests: approve to go on, reject to roll back", true},
		{"inconclusive rolls back when told to", analysis.OutcomeInconclusive, "rollback", stepFail, "canary analysis inconclusive: 12 requests (onInconclusive: rollback)", false},
		{"fail fails the deploy", analysis.OutcomeFail, "", stepFail, "canary analysis failed: 12 requests", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := analysisState{AnalysisInterval: first}
			next, out := verdictOutcome(a, DecideVerdict(first, tc.outcome, now, twoMinutes), "12 requests", twoMinutes, tc.onInconclusive, end)
			if out.kind != tc.want || !strings.Contains(out.reason, tc.wantReason) || next.AwaitingPerson != tc.wantAwaiting {
				t.Fatalf("verdictOutcome = %+v (awaiting %v), want kind %d reason containing %q (awaiting %v)", out, next.AwaitingPerson, tc.want, tc.wantReason, tc.wantAwaiting)
			}
			if tc.outcome == analysis.OutcomePass && (next.Index != 1 || !next.Start.Equal(now) || next.StartCounters["checkout-v002"].Requests != 2000) {
				t.Errorf("after a pass: %+v, want interval 1 from %v starting at the counters read now", next, now)
			}
		})
	}
	last := analysisState{AnalysisInterval: AnalysisInterval{Index: 1, Start: clock, End: now}}
	if _, out := verdictOutcome(last, DecideVerdict(last.AnalysisInterval, analysis.OutcomePass, now, twoMinutes), "", twoMinutes, "", nil); out.kind != stepDone {
		t.Errorf("a pass of the last interval: %+v, want the step done", out)
	}
}

func TestAfterInconclusive(t *testing.T) {
	t.Parallel()
	waiting := analysisState{AnalysisInterval: twoMinutes.FirstInterval(clock), AwaitingPerson: true, Inconclusive: "12 requests"}
	now := clock.Add(time.Hour)
	for _, tc := range []struct {
		name       string
		judgment   *model.Judgment
		want       stepKind
		wantReason string
	}{
		{"no judgment yet", nil, stepWaitPerson, "canary analysis inconclusive: 12 requests"},
		{"approve counts as a pass", &model.Judgment{Decision: model.DecisionApprove}, stepWait, "interval 1 passed"},
		{"reject fails", &model.Judgment{Decision: model.DecisionReject, Actor: "ada"}, stepFail, "canary analysis inconclusive and rejected by ada"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next, out := afterInconclusive(waiting, tc.judgment, now, twoMinutes)
			if out.kind != tc.want || !strings.Contains(out.reason, tc.wantReason) || out.clearJudgment != (tc.judgment != nil) {
				t.Fatalf("afterInconclusive = %+v, want kind %d reason containing %q", out, tc.want, tc.wantReason)
			}
			if tc.want == stepWait && (next.AwaitingPerson || next.Index != 1 || !next.Start.Equal(now)) {
				t.Errorf("after approval: %+v, want interval 1 from now", next)
			}
		})
	}
}

func TestThresholdInputDiffsTheInterval(t *testing.T) {
	t.Parallel()
	start := map[string]analysis.Counters{"base": {Requests: 100, Errors: 1}, "can": {Requests: 50}}
	end := map[string]analysis.Counters{"base": {Requests: 1100, Errors: 11}, "can": {Requests: 1050, Errors: 50}}
	in := ThresholdInput(model.AnalysisSpec{}, "can", "base", model.RoleProduction, start, end, 2)
	if in.Baseline.Requests != 1000 || in.Baseline.Errors != 10 || in.Baseline.Role != model.RoleProduction ||
		in.Canary.Requests != 1000 || in.Canary.Errors != 50 || in.Canary.Role != model.RoleCanary || in.Extensions != 2 {
		t.Fatalf("ThresholdInput = %+v", in)
	}
	if in.Spec.MinRequests != analysis.DefaultMinRequests {
		t.Errorf("spec without defaults: %+v", in.Spec)
	}
}
