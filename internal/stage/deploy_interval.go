package stage

import (
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// The clock of a canary analysis step: when its intervals start and end,
// and what a judged interval means for the step. Pure, and exported so the
// analysis benchmark (bench/analysis) judges intervals exactly as a deploy
// does.

// AnalysisTiming is when an analysis step measures.
type AnalysisTiming struct {
	// Warmup is how long the canary takes traffic before the first interval.
	Warmup time.Duration
	// Interval is the length of one measurement interval.
	Interval time.Duration
	// Intervals is how many intervals must pass.
	Intervals int
}

// AnalysisTimingOf is the timing of an analysis step judged with spec
// (model.AnalysisStep.Timing: the step's own interval and intervals win).
func AnalysisTimingOf(step model.AnalysisStep, spec model.AnalysisSpec) AnalysisTiming {
	warmup, interval, intervals := step.Timing(spec)
	return AnalysisTiming{Warmup: warmup, Interval: interval, Intervals: intervals}
}

// FirstInterval is the first interval of a step that starts measuring at
// start (when the warm-up is over).
func (t AnalysisTiming) FirstInterval(start time.Time) AnalysisInterval {
	return AnalysisInterval{Start: start, End: start.Add(t.Interval)}
}

// IsFinal reports whether iv is the step's last interval; the statistical
// judge fails marginal results only there.
func (t AnalysisTiming) IsFinal(iv AnalysisInterval) bool { return iv.Index+1 >= t.Intervals }

// AnalysisInterval is the interval an analysis step is measuring.
type AnalysisInterval struct {
	// Index counts the step's intervals from 0.
	Index int `json:"interval"`
	// Start is when the interval began; an extended interval keeps it, so
	// its samples accumulate.
	Start time.Time `json:"start"`
	// End is when the interval is judged.
	End time.Time `json:"end"`
	// Extensions is how often the interval was extended for lack of data.
	Extensions int `json:"extensions"`
}

// VerdictAction is what one judged interval means for its analysis step.
type VerdictAction int

const (
	// VerdictNextInterval: the interval passed; measure the next one, from
	// the time of the verdict.
	VerdictNextInterval VerdictAction = iota + 1
	// VerdictPassed: the last interval passed; the step is done and the
	// deploy goes on.
	VerdictPassed
	// VerdictExtend: too little data; measure the same interval longer.
	VerdictExtend
	// VerdictInconclusive: still too little data after every extension; a
	// person decides, or the deploy rolls back (onInconclusive: rollback).
	VerdictInconclusive
	// VerdictFail: the canary is worse than what it is compared with; the
	// deploy fails (and rolls back under onFailure: rollback, the default).
	VerdictFail
)

// VerdictDecision is what a judged interval means for the step, and the
// interval it measures next.
type VerdictDecision struct {
	Action VerdictAction
	// Next is the interval to measure (VerdictNextInterval, VerdictExtend);
	// for the other actions, the interval judged.
	Next AnalysisInterval
}

// DecideVerdict says what the judge's outcome for cur, given at now, means
// for an analysis step timed by t.
func DecideVerdict(cur AnalysisInterval, outcome analysis.Outcome, now time.Time, t AnalysisTiming) VerdictDecision {
	switch outcome {
	case analysis.OutcomePass:
		if t.IsFinal(cur) {
			return VerdictDecision{Action: VerdictPassed, Next: cur}
		}
		return VerdictDecision{Action: VerdictNextInterval, Next: AnalysisInterval{Index: cur.Index + 1, Start: now, End: now.Add(t.Interval)}}
	case analysis.OutcomeExtend:
		cur.Extensions++
		cur.End = now.Add(t.Interval)
		return VerdictDecision{Action: VerdictExtend, Next: cur}
	case analysis.OutcomeInconclusive:
		return VerdictDecision{Action: VerdictInconclusive, Next: cur}
	}
	return VerdictDecision{Action: VerdictFail, Next: cur}
}

// ThresholdInput is what the threshold judge sees of one interval: both
// groups' counters over it (the readings at its end minus those at its
// start, analysis.Diff), measured (analysis.Measure), with spec's defaults.
func ThresholdInput(spec model.AnalysisSpec, canary, baseline string, baselineRole model.ServerGroupRole, start, end map[string]analysis.Counters, extensions int) analysis.Input {
	return analysis.Input{
		Spec:       analysis.Defaults(spec),
		Baseline:   analysis.Measure(baseline, baselineRole, analysis.Diff(end[baseline], start[baseline])),
		Canary:     analysis.Measure(canary, model.RoleCanary, analysis.Diff(end[canary], start[canary])),
		Extensions: extensions,
	}
}

// SampleInterval is what the statistical judge is asked about one
// interval, judged at now, before the metrics are fetched: the samples
// from the interval's start (kept through extensions) to now.
func SampleInterval(cfg analysis.AnalysisConfig, canary, baseline string, iv AnalysisInterval, now time.Time, t AnalysisTiming) analysis.IntervalData {
	return analysis.IntervalData{
		Judge: model.JudgeMannWhitney, Config: cfg, Canary: canary, Baseline: baseline,
		Start: iv.Start, End: now, Extensions: iv.Extensions, Final: t.IsFinal(iv), Intervals: t.Intervals,
	}
}
