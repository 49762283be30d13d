package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// analysisState is an analysis step's progress: the interval being measured
// and the counters it started from, so a restart resumes the interval.
type analysisState struct {
	// AnalysisInterval is the interval being measured. Before the first
	// one, End is zero and Start is when measuring may begin (after the
	// warm-up).
	AnalysisInterval
	StartCounters map[string]analysis.Counters `json:"startCounters"`
	// AwaitingPerson is set when an inconclusive interval waits for a judgment.
	AwaitingPerson bool `json:"awaitingPerson,omitempty"`
	// Inconclusive is why the interval was inconclusive.
	Inconclusive string `json:"inconclusive,omitempty"`
	// Checks is what the step's web and job checks measured so far.
	Checks checkState `json:"checks,omitzero"`
}

// analysisPhase is where an analysis step stands at a call.
type analysisPhase int

const (
	// analysisWarmup: before the first interval: wait until Start.
	analysisWarmup analysisPhase = iota + 1
	// analysisBegin: the warm-up is over: the first interval starts now.
	analysisBegin
	// analysisMeasuring: an interval is under way: wait until End.
	analysisMeasuring
	// analysisJudge: the interval has ended: judge it.
	analysisJudge
	// analysisAwaitPerson: an inconclusive interval waits for approve or reject.
	analysisAwaitPerson
)

// phase says where the step stands at now, and so when it is due next.
func (a analysisState) phase(now time.Time) analysisPhase {
	switch {
	case a.AwaitingPerson:
		return analysisAwaitPerson
	case a.End.IsZero() && now.Before(a.Start):
		return analysisWarmup
	case a.End.IsZero():
		return analysisBegin
	case now.Before(a.End):
		return analysisMeasuring
	}
	return analysisJudge
}

// measurements is what an analysis record stores to be shown and rejudged.
type measurements struct {
	Spec       model.AnalysisSpec           `json:"spec"`
	Baseline   analysis.Measurement         `json:"baseline"`
	Canary     analysis.Measurement         `json:"canary"`
	Counters   map[string]analysis.Counters `json:"counters"`
	Extensions int                          `json:"extensions"`
}

// judged is one judged interval, whichever judge gave it.
type judged struct {
	outcome analysis.Outcome
	score   float64
	reason  string
	// short is reason in one line (analysis.Report.Short), for the
	// execution, its stage and summaries; "" when reason is short already.
	// The analysis record keeps the whole reason.
	short    string
	measured any // stored as the record's measurements
	verdict  any // stored as the record's verdict
	// end is the counters read at the verdict (threshold judge only): the
	// next interval starts from them.
	end map[string]analysis.Counters
}

// line is the judged interval's reason in one line.
func (j judged) line() string {
	if j.short != "" {
		return j.short
	}
	return j.reason
}

// analyze makes one call of an analysis step: wait for the warm-up or the
// interval's end, start the first interval, or judge the interval that
// ended (reading the metrics is the call's one external action) and record
// the verdict as a write.
func (d *Deploy) analyze(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	first := st.Analysis == nil
	out := d.analyzeStep(ctx, in, w, st, step)
	if first && st.Analysis != nil {
		// The step began (its warm-up included): with its canary_verdict
		// this bounds the lead time's canary analysis (docs/kpis.md).
		started := model.Event{Kind: model.EventAnalysisStarted, Environment: w.env.Name, Version: st.Version,
			Detail: fmt.Sprintf("step %d/%d", st.Next+1, len(st.Plan.Steps))}
		out.events = append([]model.Event{started}, out.events...)
	}
	return out
}

// analyzeStep is analyze without the step's start event.
func (d *Deploy) analyzeStep(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	var stepSpec model.AnalysisStep
	if step.Analysis != nil {
		stepSpec = *step.Analysis
	}
	cfg := analysisSpec(in, step)
	timing := AnalysisTimingOf(stepSpec, cfg)
	canary, against := st.name(step.Ref), st.name(step.Against)
	statistical := cfg.Judge != model.JudgeThreshold
	if st.Analysis == nil {
		st.Analysis = &analysisState{AnalysisInterval: AnalysisInterval{Start: in.Now.Add(timing.Warmup)}}
	}
	a := st.Analysis
	switch a.phase(in.Now) {
	case analysisWarmup:
		return waitUntil(a.Start, fmt.Sprintf("warming up: %s takes traffic for %s before measuring starts at %s (warmup)", canary, timing.Warmup, a.Start.Local().Format("15:04:05")))
	case analysisBegin:
		a.AnalysisInterval = timing.FirstInterval(in.Now)
		if !statistical {
			counters, err := w.target.Counters(ctx, w.app.Name, w.env.Name)
			if err != nil {
				return failStep("reading front-door metrics: %v", err)
			}
			a.StartCounters = counters
		}
		return waitUntil(a.End, fmt.Sprintf("measuring %s against %s: interval 1/%d until %s", canary, against, timing.Intervals, a.End.Local().Format("15:04:05")))
	case analysisAwaitPerson:
		next, out := afterInconclusive(*a, in.Stage.Judgment, in.Now, timing)
		*a = next
		return out
	case analysisMeasuring:
		return waitUntil(a.End, fmt.Sprintf("measuring %s against %s: interval %d/%d until %s", canary, against, a.Index+1, timing.Intervals, a.End.Local().Format("15:04:05")))
	}
	if len(cfg.Checks) > 0 {
		if complete, out := d.measureChecks(ctx, in, w, st, cfg, canary); !complete {
			return out
		}
	}
	var rounds []judged
	if cfg.ComparesGroups() {
		var j judged
		var err error
		if statistical {
			j, err = d.judgeSamples(ctx, in, w, cfg, *a, canary, against, timing)
		} else {
			j, err = d.judgeCounters(ctx, w, cfg, *a, step, canary, against)
		}
		if err != nil {
			return failStep("%v", err)
		}
		rounds = append(rounds, j)
	}
	if len(cfg.Checks) > 0 {
		rounds = append(rounds, judgeChecks(cfg, a, canary))
	}
	j := rounds[0]
	if len(rounds) == 2 {
		j = combineVerdicts(rounds[0], rounds[1])
	}
	var recs []Write
	for _, r := range rounds {
		rec, err := analysisRecord(in, st.AnalysisSeq+1, a.Start, in.Now, r)
		if err != nil {
			return failStep("storing the analysis record: %v", err)
		}
		st.AnalysisSeq++
		recs = append(recs, AnalysisInsert{Record: rec})
	}
	st.Verdicts = append(st.Verdicts, fmt.Sprintf("step %d/%d, interval %d: %s (score %.0f): %s", st.Next+1, len(st.Plan.Steps), a.Index+1, j.outcome, j.score, j.line()))
	dec := DecideVerdict(a.AnalysisInterval, j.outcome, in.Now, timing)
	next, out := verdictOutcome(*a, dec, j.line(), timing, canarySpec(in).OnInconclusive, j.end)
	*a = next
	out.writes = append(out.writes, recs...)
	if verdict, final := VerdictName(dec.Action); final {
		out.events = append(out.events, model.Event{Kind: model.EventCanaryVerdict, Action: verdict,
			Environment: w.env.Name, Version: st.Version, Detail: j.line()})
	}
	return out
}

// judgeCounters ends one interval of the threshold judge: it reads the
// front door's counters and judges both groups' differences since the
// interval's start.
func (d *Deploy) judgeCounters(ctx context.Context, w world, cfg model.AnalysisSpec, a analysisState, step strategy.Step, canary, against string) (judged, error) {
	end, err := w.target.Counters(ctx, w.app.Name, w.env.Name)
	if err != nil {
		return judged{}, fmt.Errorf("reading front-door metrics: %w", err)
	}
	baseRole := model.RoleBaseline
	if step.Against != strategy.RefBaseline {
		baseRole = model.RoleProduction
	}
	in := ThresholdInput(cfg, canary, against, baseRole, a.StartCounters, end, a.Extensions)
	m := measurements{
		Spec: in.Spec, Baseline: in.Baseline, Canary: in.Canary, Extensions: a.Extensions,
		Counters: map[string]analysis.Counters{against: analysis.Diff(end[against], a.StartCounters[against]), canary: analysis.Diff(end[canary], a.StartCounters[canary])},
	}
	v := d.Judge.Judge(in)
	return judged{outcome: v.Outcome, score: v.Score, reason: v.Reason, measured: m, verdict: v, end: end}, nil
}

// verdictOutcome turns a verdict decision into the analysis step's outcome
// and its new state: the next interval (or the next step), a longer
// interval, a person, or a failure. end is the counters the next interval
// starts from (threshold judge).
func verdictOutcome(a analysisState, dec VerdictDecision, reason string, t AnalysisTiming, onInconclusive string, end map[string]analysis.Counters) (analysisState, stepOutcome) {
	switch dec.Action {
	case VerdictPassed:
		return a, done()
	case VerdictNextInterval:
		a.AnalysisInterval, a.StartCounters = dec.Next, end
		return a, waitUntil(a.End, fmt.Sprintf("interval %d passed; measuring interval %d/%d", dec.Next.Index, dec.Next.Index+1, t.Intervals))
	case VerdictExtend:
		a.AnalysisInterval = dec.Next
		return a, waitUntil(a.End, fmt.Sprintf("not enough data yet (%s): measuring longer, until %s", reason, a.End.Local().Format("15:04:05")))
	case VerdictInconclusive:
		if onInconclusive == "rollback" {
			return a, failStep("canary analysis inconclusive: %s (onInconclusive: rollback)", reason)
		}
		a.AwaitingPerson, a.Inconclusive = true, reason
		return a, stepOutcome{kind: stepWaitPerson, reason: "canary analysis inconclusive: " + reason + ": approve to go on, reject to roll back"}
	}
	return a, failStep("canary analysis failed: %s", reason)
}

// afterInconclusive decides an inconclusive interval from a person's
// judgment: none yet waits, reject fails, approve counts as a pass.
func afterInconclusive(a analysisState, j *model.Judgment, now time.Time, t AnalysisTiming) (analysisState, stepOutcome) {
	if j == nil {
		return a, stepOutcome{kind: stepWaitPerson, reason: "canary analysis inconclusive: " + a.Inconclusive + ": approve to go on, reject to roll back"}
	}
	if j.Decision != model.DecisionApprove {
		return a, stepOutcome{kind: stepFail, clearJudgment: true, reason: "canary analysis inconclusive and rejected by " + orSomeone(j.Actor) + commentSuffix(j.Comment)}
	}
	a.AwaitingPerson = false
	a, out := verdictOutcome(a, DecideVerdict(a.AnalysisInterval, analysis.OutcomePass, now, t), "approved", t, "", a.StartCounters)
	out.clearJudgment = true
	return a, out
}

func canarySpec(in Input) model.CanarySpec {
	if in.Spec.Deploy != nil && in.Spec.Deploy.Strategy.Canary != nil {
		return *in.Spec.Deploy.Strategy.Canary
	}
	return model.CanarySpec{}
}

// analysisSpec is the config an analysis step judges with, as written: the
// AnalysisTemplate it names (copied into the execution when it started), or
// else the canary's analysis block.
func analysisSpec(in Input, step strategy.Step) model.AnalysisSpec {
	if step.Analysis != nil && step.Analysis.Resolved != nil {
		return *step.Analysis.Resolved
	}
	var spec model.AnalysisSpec
	if c := canarySpec(in); c.Analysis != nil {
		spec = *c.Analysis
	}
	return spec
}

// analysisRecord is the record of one judged interval, whichever judge gave
// it: what was measured and the verdict, as JSON, under sequence seq.
func analysisRecord(in Input, seq int, start, end time.Time, j judged) (store.AnalysisRecord, error) {
	mb, err := json.Marshal(j.measured)
	if err != nil {
		return store.AnalysisRecord{}, err
	}
	vb, err := json.Marshal(j.verdict)
	if err != nil {
		return store.AnalysisRecord{}, err
	}
	return store.AnalysisRecord{
		ExecutionID: in.Execution.ID, Stage: in.RecordName(), Sequence: seq,
		StartedAt: start, EndedAt: end, Outcome: string(j.outcome), Score: j.score, Reason: j.reason,
		Measurements: mb, Verdict: vb,
	}, nil
}

// VerdictName names the verdict an analysis step reached (passed, failed,
// inconclusive), and false while it measures on (the canary_verdict event
// is sent once, when the step is decided).
func VerdictName(a VerdictAction) (string, bool) {
	switch a {
	case VerdictPassed:
		return "passed", true
	case VerdictFail:
		return "failed", true
	case VerdictInconclusive:
		return "inconclusive", true
	}
	return "", false
}
