package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/analysis/stats"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/stage"
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
	// PerSecond judges the error rate as before the count test: the trials
	// (requests per second) the front door hands with it are dropped, so
	// the judge ranks per-second shares (Mann-Whitney).
	PerSecond bool
	// PerSecondTail judges the latency quantiles as before the tail test:
	// the interval's requests (the pooled histograms) the front door hands
	// with latency_p95 and latency_p99 are dropped, so the judge ranks
	// per-second quantiles (Mann-Whitney).
	PerSecondTail bool
	// Unsplit judges every interval at the full confidence level, as
	// before the step's false-alarm budget was split among its intervals.
	Unsplit bool
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

// simulate runs one analysis step over the two groups' traffic with the
// deploy stage's own clock and decisions (internal/stage
// AnalysisTimingOf, FirstInterval, DecideVerdict): the config's warm-up
// before the first interval, a verdict when an interval ends. Pass goes to
// the next interval or ends the step; extend measures the same interval
// longer (same start, so the samples accumulate); inconclusive and fail
// end the step.
func simulate(ctx context.Context, p plan, base, can *stream) result {
	timing := stage.AnalysisTimingOf(p.Step, p.Spec)
	statistical := p.Spec.Judge != model.JudgeThreshold
	var r result
	iv := timing.FirstInterval(atSecond(lead).Add(timing.Warmup))
	startCounters := map[string]analysis.Counters{baselineGroup: base.counters(secondOf(iv.Start)), canaryGroup: can.counters(secondOf(iv.Start))}
	for {
		now := iv.End
		var outcome analysis.Outcome
		var culprits []string
		var endCounters map[string]analysis.Counters
		if statistical {
			var masked []string
			outcome, culprits, masked = judgeSamples(ctx, p, base, can, iv, now, timing)
			for _, m := range masked {
				if !slices.Contains(r.Masked, m) {
					r.Masked = append(r.Masked, m)
				}
			}
		} else {
			endCounters = map[string]analysis.Counters{baselineGroup: base.counters(secondOf(now)), canaryGroup: can.counters(secondOf(now))}
			outcome, culprits = judgeCounters(p, startCounters, endCounters, iv.Extensions)
		}
		d := stage.DecideVerdict(iv, outcome, now, timing)
		switch d.Action {
		case stage.VerdictNextInterval:
			iv, startCounters = d.Next, endCounters
		case stage.VerdictExtend:
			iv = d.Next
		default:
			r.Outcome, r.Seconds, r.Extensions = outcome, secondOf(now)-lead, iv.Extensions
			if d.Action != stage.VerdictPassed {
				r.Culprits = culprits
			}
			return r
		}
	}
}

// atSecond is simulated second s as a time; secondOf is the reverse.
func atSecond(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }

func secondOf(t time.Time) int { return int(t.Sub(epoch) / time.Second) }

// judgeSamples judges one interval with the statistical judge as the
// deploy stage does (stage.SampleInterval: the interval's start, kept
// through extensions, to now): the config is the analysis block with the
// default metrics when it names none, and every metric is fetched for both
// groups through the real front-door source.
func judgeSamples(ctx context.Context, p plan, base, can *stream, iv stage.AnalysisInterval, now time.Time, timing stage.AnalysisTiming) (outcome analysis.Outcome, culprits, masked []string) {
	cfg := analysis.ConfigFor(p.Spec)
	from, to := iv.Start, now
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
	data := stage.SampleInterval(cfg, canaryGroup, baselineGroup, iv, now, timing)
	baseScope := source.Scope{Application: "app", Environment: "sim", ServerGroup: baselineGroup, Role: string(model.RoleBaseline), Start: from, End: to}
	canScope := source.Scope{Application: "app", Environment: "sim", ServerGroup: canaryGroup, Role: string(model.RoleCanary), Start: from, End: to}
	for _, m := range cfg.Metrics {
		fm := fetchMetric(ctx, sources, m, baseScope, canScope)
		if p.PerSecond {
			fm.BaselineTrials, fm.CanaryTrials = nil, nil
		}
		if p.PerSecondTail {
			fm.BaselineLatency, fm.CanaryLatency, fm.Quantile = nil, nil, 0
		}
		data.Metrics = append(data.Metrics, fm)
	}
	if p.Unsplit {
		data.Intervals = 0
	}
	rep := analysis.MannWhitneyJudge{}.JudgeSamples(data.Input(cfg))
	for _, m := range rep.Metrics {
		if m.Critical && m.Tested && m.Classification == analysis.ClassPass && stats.Significant(m.P, rep.ConfidenceLevel) && m.Estimate > 0 && m.Low == 0 {
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

// judgeCounters judges one interval with the threshold judge on the input
// the deploy stage builds (stage.ThresholdInput: both groups' counters over
// the interval, measured).
func judgeCounters(p plan, start, end map[string]analysis.Counters, ext int) (analysis.Outcome, []string) {
	in := stage.ThresholdInput(p.Spec, canaryGroup, baselineGroup, model.RoleBaseline, start, end, ext)
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
