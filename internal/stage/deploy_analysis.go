package stage

import (
	"context"
	"encoding/json"
	"errors"
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
	Interval      int                          `json:"interval"` // 0-based index of the interval being measured
	Start         time.Time                    `json:"start"`
	End           time.Time                    `json:"end"`
	Extensions    int                          `json:"extensions"`
	StartCounters map[string]analysis.Counters `json:"startCounters"`
	// AwaitingPerson is set when an inconclusive interval waits for a judgment.
	AwaitingPerson bool `json:"awaitingPerson,omitempty"`
	// Inconclusive is why the interval was inconclusive.
	Inconclusive string `json:"inconclusive,omitempty"`
}

// measurements is what an analysis record stores to be shown and rejudged.
type measurements struct {
	Spec       model.AnalysisSpec           `json:"spec"`
	Baseline   analysis.Measurement         `json:"baseline"`
	Canary     analysis.Measurement         `json:"canary"`
	Counters   map[string]analysis.Counters `json:"counters"`
	Extensions int                          `json:"extensions"`
}

func (d *Deploy) analyze(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	var timing model.AnalysisStep
	if step.Analysis != nil {
		timing = *step.Analysis
	}
	cfg := analysisSpec(in, step)
	warmup, interval, intervals := timing.Timing(cfg)
	canary, against := st.name(step.Ref), st.name(step.Against)
	statistical := cfg.Judge != model.JudgeThreshold
	a := st.Analysis
	if a == nil {
		// Before the first interval Start is when measuring may begin: after
		// the warm-up, when the config has one.
		a = &analysisState{Start: in.Now.Add(warmup)}
		st.Analysis = a
	}
	if a.End.IsZero() && in.Now.Before(a.Start) {
		return waitUntil(a.Start, fmt.Sprintf("warming up: %s takes traffic for %s before measuring starts at %s (warmup)", canary, warmup, a.Start.Local().Format("15:04:05")))
	}
	if a.End.IsZero() { // the first interval starts now
		a.Start, a.End = in.Now, in.Now.Add(interval)
		if !statistical {
			counters, err := w.target.Counters(ctx, w.app.Name, w.env.Name)
			if err != nil {
				return failStep("reading front-door metrics: %v", err)
			}
			a.StartCounters = counters
		}
		return waitUntil(a.End, fmt.Sprintf("measuring %s against %s: interval 1/%d until %s", canary, against, intervals, a.End.Local().Format("15:04:05")))
	}
	spec := analysis.Defaults(cfg)
	if a.AwaitingPerson {
		return d.afterInconclusive(in, st, a, intervals, interval)
	}
	if in.Now.Before(a.End) {
		return waitUntil(a.End, fmt.Sprintf("measuring %s against %s: interval %d/%d until %s", canary, against, a.Interval+1, intervals, a.End.Local().Format("15:04:05")))
	}
	if statistical {
		return d.judgeSamples(ctx, in, w, st, step, cfg, a, intervals, interval)
	}
	end, err := w.target.Counters(ctx, w.app.Name, w.env.Name)
	if err != nil {
		return failStep("reading front-door metrics: %v", err)
	}
	baseRole := model.RoleBaseline
	if step.Against != strategy.RefBaseline {
		baseRole = model.RoleProduction
	}
	m := measurements{
		Spec:       spec,
		Baseline:   analysis.Measure(against, baseRole, analysis.Diff(end[against], a.StartCounters[against])),
		Canary:     analysis.Measure(canary, model.RoleCanary, analysis.Diff(end[canary], a.StartCounters[canary])),
		Extensions: a.Extensions,
		Counters:   map[string]analysis.Counters{against: analysis.Diff(end[against], a.StartCounters[against]), canary: analysis.Diff(end[canary], a.StartCounters[canary])},
	}
	v := d.Judge.Judge(analysis.Input{Spec: spec, Baseline: m.Baseline, Canary: m.Canary, Extensions: a.Extensions})
	if err := d.record(ctx, in, st, a.Start, in.Now, v.Outcome, v.Score, v.Reason, m, v); err != nil {
		return failStep("storing the analysis record: %v", err)
	}
	return d.afterVerdict(in, st, a, v.Outcome, v.Score, v.Reason, intervals, interval, end)
}

// afterVerdict records a judged interval's verdict in the stage and decides
// what the analysis step does next, whichever judge gave it: the next
// interval (or the next step), a longer interval, a person, or a rollback.
func (d *Deploy) afterVerdict(in Input, st *deployState, a *analysisState, outcome analysis.Outcome, score float64, reason string, intervals int, interval time.Duration, end map[string]analysis.Counters) stepOutcome {
	st.Verdicts = append(st.Verdicts, fmt.Sprintf("step %d/%d, interval %d: %s (score %.0f): %s", st.Next+1, len(st.Plan.Steps), a.Interval+1, outcome, score, reason))
	switch outcome {
	case analysis.OutcomePass:
		return d.nextInterval(in, a, intervals, interval, end)
	case analysis.OutcomeExtend:
		a.Extensions++
		a.End = in.Now.Add(interval)
		return waitUntil(a.End, fmt.Sprintf("not enough data yet (%s): measuring longer, until %s", reason, a.End.Local().Format("15:04:05")))
	case analysis.OutcomeInconclusive:
		if canarySpec(in).OnInconclusive == "rollback" {
			return failStep("canary analysis inconclusive: %s (onInconclusive: rollback)", reason)
		}
		a.AwaitingPerson, a.Inconclusive = true, reason
		return stepOutcome{kind: stepWaitPerson, reason: "canary analysis inconclusive: " + reason + ": approve to go on, reject to roll back"}
	default:
		return failStep("canary analysis failed: %s", reason)
	}
}

func (d *Deploy) nextInterval(in Input, a *analysisState, intervals int, interval time.Duration, end map[string]analysis.Counters) stepOutcome {
	a.Interval++
	if a.Interval >= intervals {
		return done()
	}
	a.Start, a.End, a.Extensions, a.StartCounters = in.Now, in.Now.Add(interval), 0, end
	return waitUntil(a.End, fmt.Sprintf("interval %d passed; measuring interval %d/%d", a.Interval, a.Interval+1, intervals))
}

func (d *Deploy) afterInconclusive(in Input, st *deployState, a *analysisState, intervals int, interval time.Duration) stepOutcome {
	j := in.Stage.Judgment
	if j == nil {
		return stepOutcome{kind: stepWaitPerson, reason: "canary analysis inconclusive: " + a.Inconclusive + ": approve to go on, reject to roll back"}
	}
	if j.Decision != model.DecisionApprove {
		return stepOutcome{kind: stepFail, clearJudgment: true, reason: "canary analysis inconclusive and rejected by " + orSomeone(j.Actor) + commentSuffix(j.Comment)}
	}
	a.AwaitingPerson = false
	out := d.nextInterval(in, a, intervals, interval, a.StartCounters)
	out.clearJudgment = true
	return out
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

// record stores one judged interval, whichever judge gave it: what was
// measured and the verdict, as JSON. Storing it again after a crash is a no-op.
func (d *Deploy) record(ctx context.Context, in Input, st *deployState, start, end time.Time, outcome analysis.Outcome, score float64, reason string, measured, verdict any) error {
	mb, err := json.Marshal(measured)
	if err != nil {
		return err
	}
	vb, err := json.Marshal(verdict)
	if err != nil {
		return err
	}
	st.AnalysisSeq++
	rec := &store.AnalysisRecord{
		ExecutionID: in.Execution.ID, Stage: in.Stage.Name, Sequence: st.AnalysisSeq,
		StartedAt: start, EndedAt: end, Outcome: string(outcome), Score: score, Reason: reason,
		Measurements: mb, Verdict: vb,
	}
	if err := d.Store.AnalysisInsert(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}
