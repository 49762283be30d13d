package analysis

import (
	"fmt"
	"strings"
)

// LatencyNoiseFloor is the absolute slack, in seconds, the latency check
// always allows above the baseline's p95. Without it a baseline answering in
// 0.2ms would fail a canary answering in 0.4ms: a 2x ratio that is only
// scheduling noise. The limit is max(baseline p95 x MaxLatencyRatio,
// baseline p95 + LatencyNoiseFloor).
const LatencyNoiseFloor = 0.005

// ThresholdJudge compares the canary with its baseline against fixed limits:
//
//   - data: both groups served at least MinRequests requests, otherwise the
//     interval is extended (Extend) until MaxExtensions, then Inconclusive.
//     It never passes without data.
//   - error-rate: canary 5xx rate - baseline 5xx rate <= MaxErrorRateIncrease.
//   - p95-latency: canary p95 <= max(baseline p95 x MaxLatencyRatio,
//     baseline p95 + LatencyNoiseFloor); skipped when either group has no
//     latency histogram.
//
// Any failing check fails the interval.
type ThresholdJudge struct{}

var _ Judge = ThresholdJudge{}

// Judge decides one interval.
func (ThresholdJudge) Judge(in Input) Verdict {
	spec := Defaults(in.Spec)
	if v, ok := enoughData(in, spec.MinRequests, spec.MaxExtensions); !ok {
		return v
	}
	checks := []Check{errorRateCheck(in.Baseline, in.Canary, *spec.MaxErrorRateIncrease)}
	if in.Baseline.Observations > 0 && in.Canary.Observations > 0 {
		checks = append(checks, latencyCheck(in.Baseline, in.Canary, *spec.MaxLatencyRatio))
	}
	v := Verdict{Outcome: OutcomePass, Checks: checks}
	var failed, all []string
	passed := 0
	for _, c := range checks {
		all = append(all, c.Detail)
		if c.Passed {
			passed++
		} else {
			failed = append(failed, c.Detail)
		}
	}
	v.Score = 100 * float64(passed) / float64(len(checks))
	v.Reason = strings.Join(all, "; ")
	if len(failed) > 0 {
		v.Outcome = OutcomeFail
		v.Reason = strings.Join(failed, "; ")
	}
	return v
}

// enoughData returns an Extend or Inconclusive verdict when either group
// served fewer than minRequests requests.
func enoughData(in Input, minRequests, maxExtensions int) (Verdict, bool) {
	c := Check{Metric: "requests", Baseline: float64(in.Baseline.Requests), Canary: float64(in.Canary.Requests), Limit: float64(minRequests)}
	c.Passed = in.Baseline.Requests >= uint64(minRequests) && in.Canary.Requests >= uint64(minRequests)
	c.Detail = fmt.Sprintf("canary served %d requests and baseline %d; each needs at least %d", in.Canary.Requests, in.Baseline.Requests, minRequests)
	if c.Passed {
		return Verdict{}, true
	}
	v := Verdict{Outcome: OutcomeExtend, Checks: []Check{c}}
	if in.Extensions < maxExtensions {
		v.Reason = fmt.Sprintf("too little data: %s; measuring longer (extension %d of %d)", c.Detail, in.Extensions+1, maxExtensions)
		return v, false
	}
	v.Outcome = OutcomeInconclusive
	v.Reason = fmt.Sprintf("too little data after %d extensions: %s", maxExtensions, c.Detail)
	return v, false
}

func errorRateCheck(b, c Measurement, maxIncrease float64) Check {
	ch := Check{Metric: "error-rate", Baseline: b.ErrorRate, Canary: c.ErrorRate, Limit: b.ErrorRate + maxIncrease}
	// Compare the increase itself, with a tolerance for float rounding, so a
	// canary exactly at the allowed increase passes.
	ch.Passed = c.ErrorRate-b.ErrorRate <= maxIncrease+1e-12
	verdict := "is within"
	if !ch.Passed {
		verdict = "exceeds"
	}
	ch.Detail = fmt.Sprintf("canary 5xx rate %.1f%% vs baseline %.1f%% %s the allowed increase of %.1f points",
		100*c.ErrorRate, 100*b.ErrorRate, verdict, 100*maxIncrease)
	return ch
}

func latencyCheck(b, c Measurement, maxRatio float64) Check {
	limit := max(b.P95*maxRatio, b.P95+LatencyNoiseFloor)
	ch := Check{Metric: "p95-latency", Baseline: b.P95, Canary: c.P95, Limit: limit, Passed: c.P95 <= limit}
	verdict := "is within"
	if !ch.Passed {
		verdict = "exceeds"
	}
	ch.Detail = fmt.Sprintf("canary p95 latency %s vs baseline %s %s the limit of %s (%.2gx baseline, at least baseline + %s)",
		ms(c.P95), ms(b.P95), verdict, ms(limit), maxRatio, ms(LatencyNoiseFloor))
	return ch
}

// ms formats seconds as milliseconds, e.g. "12.5ms".
func ms(seconds float64) string { return fmt.Sprintf("%.1fms", 1000*seconds) }
