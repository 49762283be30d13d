package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
)

// Server group names of the simulated canary and its baseline.
const (
	canaryGroup   = "app-v2-canary"
	baselineGroup = "app-v1-baseline"
)

// plan is one analysis step as a canary would write it: the analysis block
// (Spec) and the step (its interval and intervals).
type plan struct {
	Name string
	Note string // one line: what differs from the defaults
	// Extra plans run only when -plans names them.
	Extra bool
	Spec  model.AnalysisSpec
	Step  model.AnalysisStep
}

// result is how one simulated analysis step ended.
type result struct {
	Outcome analysis.Outcome // pass, fail or inconclusive
	// Seconds of simulated traffic from the step's start (the warmup's, if
	// any) to the verdict, extensions included.
	Seconds    int
	Extensions int
	// Culprits names what made a non-pass verdict: failed metrics or
	// checks, or "too little data".
	Culprits []string
	// Masked names critical metrics that passed an interval although their
	// test was significant (p < 1 - confidence level) with an upward shift,
	// because the interval's low end was exactly 0 (see the report).
	Masked []string
}

// lead is how long both groups serve before the analysis step starts, so
// the first second measured is complete.
const lead = 2

// simulate runs one analysis step over the two groups' traffic the way the
// deploy stage does (internal/stage/deploy_analysis.go analyze, afterVerdict
// and nextInterval): timing from model.AnalysisStep.Timing, the config's
// warmup before the first interval, a verdict when an interval ends. Pass
// goes to the next interval (its start is now, its extensions 0) or ends
// the step; extend measures the same interval longer (same start, so the
// samples accumulate); inconclusive and fail end the step.
func simulate(ctx context.Context, p plan, base, can *stream) result {
	warm, iv, intervals := p.Step.Timing(p.Spec)
	interval := int(iv / time.Second)
	statistical := p.Spec.Judge != model.JudgeThreshold
	var r result
	idx, ext := 0, 0
	start := lead + int(warm/time.Second)
	end := start + interval
	startCounters := map[string]analysis.Counters{baselineGroup: base.counters(start), canaryGroup: can.counters(start)}
	for {
		now := end
		var outcome analysis.Outcome
		var culprits []string
		var endCounters map[string]analysis.Counters
		if statistical {
			var masked []string
			outcome, culprits, masked = judgeSamples(ctx, p, base, can, start, now, ext, idx+1 >= intervals)
			for _, m := range masked {
				if !slices.Contains(r.Masked, m) {
					r.Masked = append(r.Masked, m)
				}
			}
		} else {
			endCounters = map[string]analysis.Counters{baselineGroup: base.counters(now), canaryGroup: can.counters(now)}
			outcome, culprits = judgeCounters(p, startCounters, endCounters, ext)
		}
		switch outcome {
		case analysis.OutcomePass:
			idx++
			if idx >= intervals {
				r.Outcome, r.Seconds, r.Extensions = analysis.OutcomePass, now-lead, ext
				return r
			}
			start, end, ext, startCounters = now, now+interval, 0, endCounters
		case analysis.OutcomeExtend:
			ext++
			end = now + interval
		default:
			r.Outcome, r.Seconds, r.Extensions, r.Culprits = outcome, now-lead, ext, culprits
			return r
		}
	}
}

// judgeSamples mirrors the deploy stage's judgeSamples: the config is the
// analysis block with the default metrics when it names none, every metric
// is fetched for both groups over [start, now) through the real front-door
// source, and the statistical judge decides.
func judgeSamples(ctx context.Context, p plan, base, can *stream, start, now, ext int, final bool) (outcome analysis.Outcome, culprits, masked []string) {
	cfg := analysis.ConfigFor(p.Spec)
	from, to := epoch.Add(time.Duration(start)*time.Second), epoch.Add(time.Duration(now)*time.Second)
	read := map[string][]local.Second{} // every metric reads the same seconds
	fd := source.FrontDoor{Seconds: func(_, _, sg string, from, to time.Time) []local.Second {
		if secs, ok := read[sg]; ok {
			return secs
		}
		s := base
		if sg == canaryGroup {
			s = can
		}
		read[sg] = s.seconds(from, to)
		return read[sg]
	}}
	sources := map[string]source.Source{model.SourceFrontDoor: fd}
	data := analysis.IntervalData{Judge: model.JudgeMannWhitney, Config: cfg, Canary: canaryGroup, Baseline: baselineGroup,
		Start: from, End: to, Extensions: ext, Final: final}
	baseScope := source.Scope{Application: "app", Environment: "sim", ServerGroup: baselineGroup, Role: string(model.RoleBaseline), Start: from, End: to}
	canScope := source.Scope{Application: "app", Environment: "sim", ServerGroup: canaryGroup, Role: string(model.RoleCanary), Start: from, End: to}
	for _, m := range cfg.Metrics {
		data.Metrics = append(data.Metrics, fetchMetric(ctx, sources, m, baseScope, canScope))
	}
	rep := analysis.MannWhitneyJudge{}.JudgeSamples(data.Input(cfg))
	alpha := 1 - cfg.WithDefaults().ConfidenceLevel
	for _, m := range rep.Metrics {
		if m.Critical && m.Tested && m.Classification == analysis.ClassPass && m.P < alpha && m.Estimate > 0 && m.Low == 0 {
			masked = append(masked, m.Name)
		}
	}
	switch rep.Outcome {
	case analysis.OutcomeExtend, analysis.OutcomeInconclusive:
		culprits = []string{"too little data"}
	case analysis.OutcomeFail:
		for _, m := range rep.Metrics {
			if !m.Muted && m.Classification != analysis.ClassPass {
				culprits = append(culprits, m.Name+" "+string(m.Classification))
			}
		}
		if len(culprits) == 0 {
			culprits = []string{fmt.Sprintf("score %.0f", rep.Score)}
		}
	}
	return rep.Outcome, culprits, masked
}

// fetchMetric reads one metric through the product's source.FetchMetric.
func fetchMetric(ctx context.Context, sources map[string]source.Source, m model.AnalysisMetric, base, can source.Scope) analysis.FetchedMetric {
	return source.FetchMetric(ctx, sources, m, base, can, func(name string) string {
		return fmt.Sprintf("source %q is not simulated", name)
	})
}

// judgeCounters mirrors the deploy stage's threshold branch: both groups'
// interval counters (Diff of the cumulative snapshots), Measure, Judge.
func judgeCounters(p plan, start, end map[string]analysis.Counters, ext int) (analysis.Outcome, []string) {
	spec := analysis.Defaults(p.Spec)
	in := analysis.Input{Spec: spec, Extensions: ext,
		Baseline: analysis.Measure(baselineGroup, model.RoleBaseline, analysis.Diff(end[baselineGroup], start[baselineGroup])),
		Canary:   analysis.Measure(canaryGroup, model.RoleCanary, analysis.Diff(end[canaryGroup], start[canaryGroup]))}
	v := analysis.ThresholdJudge{}.Judge(in)
	var culprits []string
	for _, c := range v.Checks {
		if !c.Passed {
			culprits = append(culprits, c.Metric)
		}
	}
	if v.Outcome == analysis.OutcomeExtend || v.Outcome == analysis.OutcomeInconclusive {
		culprits = []string{"too little data"}
	}
	return v.Outcome, culprits
}
