package main

import (
	"math"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// rate is what each of the two groups serves: the 50 requests/s,
// given to the canary and to its baseline alike (e.g. 10% + 10% of a
// 500 requests/s service).
const rate = 50

// base is the current version's traffic: 1% 5xx and a log-normal latency
// with a 20 ms median and sigma 0.5 (mean 22.7 ms, p95 45.6 ms, p99 64.0 ms).
var base = traffic{Rate: rate, ErrorRate: 0.01, Median: 0.020, Sigma: 0.5}

// scenario is one comparison: the baseline serves base, the canary Canary.
type scenario struct {
	Name string
	// Regression: the canary is worse, so any verdict but pass is a
	// detection; otherwise (A/A) it is a false alarm.
	Regression bool
	Canary     traffic
	Note       string
	// Extra scenarios run only when -scenarios names them.
	Extra bool
	// index is the scenario's place in scenarios(): its runs' traffic is
	// drawn from it, so a selection (-scenarios) sees the same traffic.
	index int
}

func scenarios() []scenario {
	errs := base
	errs.ErrorRate += 0.02
	whole := base
	whole.Median *= 1.2
	tail := base
	tail.Sigma += math.Log(1.2) / z99 // p99 × 1.2 with the median kept
	ss := []scenario{
		{Name: "A/A", Canary: base, Note: "canary identical to baseline"},
		{Name: "5xx +2 pt", Regression: true, Canary: errs, Note: "5xx 1% -> 3%"},
		{Name: "latency x1.2", Regression: true, Canary: whole, Note: "whole distribution x1.2: p99 64.0 -> 76.8 ms, mean +20%"},
		{Name: "p99 +20% (tail)", Regression: true, Canary: tail, Note: "sigma 0.5 -> 0.578, median kept: p99 +20%, p95 +13.7%, mean +4.3%"},
	}
	errs1 := base
	errs1.ErrorRate += 0.01
	ss = append(ss, scenario{Name: "5xx +1 pt", Regression: true, Canary: errs1, Extra: true,
		Note: "5xx 1% -> 2%: half the regression of the targets, to compare the power of error tests"})
	for i := range ss {
		ss[i].index = i
	}
	return ss
}

func ptr(v float64) *float64 { return &v }

// step is an analysis step with its own interval and intervals.
func step(interval time.Duration, intervals int) model.AnalysisStep {
	return model.AnalysisStep{Interval: model.Duration(interval), Intervals: intervals}
}

// plans are the judge configurations compared. The first two are what a
// canary gets with no analysis settings: one 2 m interval
// (model.DefaultAnalysisInterval), judged by the statistical judge (the
// default) or by judge: threshold. The others change only documented
// settings of the analysis block and the analysis step; "mw 1x30s" is the
// default before it became 2 m.
// The default metrics already compare latency-p99 (in group latency); the
// "tail" plans write the default metrics out with latency-p99 moved to a
// group of its own, nothing else changed (adding a second latency-p99 to the
// defaults would be an invalid config: a metric name used twice).
func plans() []plan {
	tail := analysis.DefaultMetrics()
	for i := range tail {
		if tail[i].Name == "latency-p99" {
			tail[i].Group = "tail"
		}
	}
	return []plan{
		{Name: "mw default", Note: "mann-whitney, default metrics: error_rate (critical), latency_p99, latency_p95 and latency_mean (group latency, allowedIncrease 1.1); 1 x 2m"},
		{Name: "threshold default", Note: "judge: threshold, defaults: 5xx increase <= 1 pt, p95 <= 1.5 x baseline (+5 ms floor), >= 50 requests; 1 x 2m",
			Spec: model.AnalysisSpec{Judge: model.JudgeThreshold}},
		{Name: "mw 1x30s", Note: "mann-whitney, default metrics; analysis: {interval: 30s} (the default before it became 2m)",
			Step: step(30*time.Second, 1)},
		{Name: "mw 2x90s", Note: "mann-whitney, default metrics; analysis: {interval: 90s, intervals: 2}",
			Step: step(90*time.Second, 2)},
		{Name: "mw tail 2x90s", Note: "default metrics with latency_p99 in a group of its own (group: tail); analysis: {interval: 90s, intervals: 2}",
			Spec: model.AnalysisSpec{Metrics: tail}, Step: step(90*time.Second, 2)},
		{Name: "threshold 3x2m", Note: "judge: threshold, maxLatencyRatio: 1.1; analysis: {interval: 2m, intervals: 3}",
			Spec: model.AnalysisSpec{Judge: model.JudgeThreshold, MaxLatencyRatio: ptr(1.1)}, Step: step(2*time.Minute, 3)},
		// Issue 12: false alarms add up over intervals. A canary of three
		// 50 s intervals (a verdict on the first at 50 s; 50 samples a
		// side, where Mann-Whitney switches to its normal approximation)
		// judged four ways: as before (per-second error shares, every
		// interval at 98%), with the step's budget split among its
		// intervals, with the count test, and with both (the judge now).
		// Only the last runs by default; name the others with -plans.
		{Name: "before 3x50s", Extra: true, Note: "default metrics judged as before issue 12: per-second 5xx shares (Mann-Whitney), each interval at 98%; analysis: {interval: 50s, intervals: 3}",
			Step: step(50*time.Second, 3), PerSecond: true, Unsplit: true},
		{Name: "split 3x50s", Extra: true, Note: "per-second 5xx shares (Mann-Whitney), the 2% split among the 3 intervals (each at 99.33%)",
			Step: step(50*time.Second, 3), PerSecond: true},
		{Name: "counts 3x50s", Extra: true, Note: "5xx tested on counts (errors and requests per group), each interval at 98%",
			Step: step(50*time.Second, 3), Unsplit: true},
		{Name: "mw 3x50s", Note: "the defaults now: 5xx on counts, the 2% split among the 3 intervals, latency p95/p99 by the tail test; analysis: {interval: 50s, intervals: 3}",
			Step: step(50*time.Second, 3)},
		{Name: "mw tail 3x50s", Extra: true, Note: "as mw 3x50s, with latency_p99 in a group of its own (group: tail)",
			Spec: model.AnalysisSpec{Metrics: tail}, Step: step(50*time.Second, 3)},
		// The tail test: the default plans above test latency_p95 and
		// latency_p99 on the interval's requests (the share above the
		// pooled quantile). These two judge them as before, on per-second
		// quantiles, for the comparison.
		{Name: "per-second 3x50s", Extra: true, Note: "as mw 3x50s, latency quantiles ranked per second (Mann-Whitney) as before the tail test",
			Step: step(50*time.Second, 3), PerSecondTail: true},
		{Name: "per-second default", Extra: true, Note: "as mw default, latency quantiles ranked per second (Mann-Whitney) as before the tail test",
			PerSecondTail: true},
		{Name: "per-second 1x30s", Extra: true, Note: "as mw 1x30s, latency quantiles ranked per second (Mann-Whitney) as before the tail test",
			Step: step(30*time.Second, 1), PerSecondTail: true},
		// Extra: the default metrics over two 60 s intervals, with
		// latency-p99 in the latency group and in a group of its own. In the
		// latency group a lone p99 High scores 83.3 (marginal), which fails
		// only the last interval.
		{Name: "mw 2x60s", Extra: true, Note: "default metrics; analysis: {interval: 60s, intervals: 2}",
			Step: step(time.Minute, 2)},
		{Name: "mw tail 2x60s", Extra: true, Note: "default metrics with latency_p99 in a group of its own (group: tail); analysis: {interval: 60s, intervals: 2}",
			Spec: model.AnalysisSpec{Metrics: tail}, Step: step(time.Minute, 2)},
	}
}
