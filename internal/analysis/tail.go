package analysis

import (
	"fmt"
	"math"

	"github.com/gennaker/gennaker/internal/analysis/stats"
	"github.com/gennaker/gennaker/internal/latency"
)

// pooled reports whether both sides carry the interval's requests as
// latency histograms of one layout, with the quantile the samples are
// per-second values of: a quantile metric of the front door.
func pooled(s MetricSamples) bool {
	return s.Quantile > 0 && s.Quantile < 1 && s.BaselineLatency != nil && s.CanaryLatency != nil &&
		len(s.BaselineLatency.Bounds) > 0 && len(s.BaselineLatency.Bounds) == len(s.CanaryLatency.Bounds)
}

// TailThreshold chooses the threshold of the tail test from the two sides'
// requests pooled: the bound of the bucket holding the pooled q-quantile
// (its lower or upper end, whichever leaves the count above it nearer
// (1 - q) × the requests; the upper on a tie) and how many requests of each
// side lie above it. A bucket's requests are never split: a latency in the
// threshold's bucket is at or below it. The choice looks at the pooled
// counts only, never at which side a request came from, so under equal
// distributions the test on the counts above it stays exact. ok is false
// when no bound leaves requests on both sides of it (every request in one
// bucket), or the histograms are empty or of different layouts.
func TailThreshold(q float64, base, can latency.Histogram) (threshold float64, baseAbove, canAbove uint64, ok bool) {
	if len(base.Bounds) == 0 || len(base.Bounds) != len(can.Bounds) {
		return 0, 0, 0, false
	}
	b, c := base.Dense(), can.Dense()
	var total uint64
	for i := range b {
		total += b[i] + c[i]
	}
	if total == 0 {
		return 0, 0, 0, false
	}
	// t is the bucket holding rank q × total (the first whose cumulative
	// count reaches it, as Histogram.Quantile).
	rank, t := q*float64(total), 0
	var below uint64
	for t = range b {
		if float64(below+b[t]+c[t]) >= rank && b[t]+c[t] > 0 {
			break
		}
		below += b[t] + c[t]
	}
	want := (1 - q) * float64(total)
	above := func(j int) (nb, nc uint64) { // requests above Bounds[j]
		for i := j + 1; i < len(b); i++ {
			nb, nc = nb+b[i], nc+c[i]
		}
		return nb, nc
	}
	upper, lower := t, t-1 // the bucket's bounds: Bounds[t-1] < latency <= Bounds[t]
	candidates := []int{upper, lower}
	if t < len(base.Bounds) && t > 0 {
		nu, nl := float64(total-below-b[t]-c[t]), float64(total-below)
		if math.Abs(nl-want) < math.Abs(nu-want) {
			candidates = []int{lower, upper}
		}
	}
	for _, j := range candidates {
		if j < 0 || j >= len(base.Bounds) {
			continue // no bound below the first bucket, none above the +Inf one
		}
		nb, nc := above(j)
		if n := nb + nc; n > 0 && n < total {
			return base.Bounds[j], nb, nc, true
		}
	}
	return 0, 0, 0, false
}

// TailSpan sets how much of the tail the tail test counts: the requests
// above the pooled quantile 1 - TailSpan × (1 - q), the slowest 2% for a
// p99. Counting only those above the pooled p99 leaves ~50 requests at
// 2,500 a side (50 s at 50 requests/s) and caught 98.7% of a tail-only
// +20% p99 regression over 3 × 50 s; twice the tail caught 99.4% at the
// same false alarms (docs/benchmarks.md, "Issue 12: the tail test").
const TailSpan = 2

// TailQuantile is the pooled quantile the tail test of a q-quantile counts
// the requests above: 1 - TailSpan × (1 - q), 0.98 for 0.99.
func TailQuantile(q float64) float64 { return max(0, 1-TailSpan*(1-q)) }

// classifyTail tests a latency quantile on the interval's requests, pooled
// per side, instead of on per-second quantiles (50 requests a second make a
// per-second p99 nearly the second's slowest request): the share of each
// side's requests above the pooled TailQuantile (TailThreshold), by
// Fisher's exact test (stats.Exceedances). A slower tail puts more of the
// canary's requests above it. The effect is the ratio of the sides' pooled
// q-quantiles (meanRatio) or ½ + the difference of the shares (cles), and
// the effect gate applies to it as to any metric; the test decides the
// direction (no tolerance on the difference of the shares: the gate on the
// quantiles' ratio is what spares a small shift). The NaN strategy and
// outlier removal do not apply: every request is counted.
func classifyTail(cfg AnalysisConfig, m MetricConfig, s MetricSamples, r MetricResult) MetricResult {
	r.Test, r.Quantile = TestTail, s.Quantile
	base, can := *s.BaselineLatency, *s.CanaryLatency
	r.Baseline.Trials, r.Canary.Trials = base.Total(), can.Total()
	if r.Baseline.Trials == 0 || r.Canary.Trials == 0 {
		r.Classification, r.Insufficient = ClassNoData, true
		r.Reason = fmt.Sprintf("no requests to compare (baseline %d, canary %d)", r.Baseline.Trials, r.Canary.Trials)
		return r
	}
	r.Baseline.Quantile, r.Canary.Quantile = base.Quantile(s.Quantile), can.Quantile(s.Quantile)
	threshold, be, ce, ok := TailThreshold(TailQuantile(s.Quantile), base, can)
	r.Threshold, r.Baseline.Events, r.Canary.Events = threshold, be, ce
	bn, cn := r.Baseline.Trials, r.Canary.Trials
	pb, pc := float64(be)/float64(bn), float64(ce)/float64(cn)
	r.EffectSize = quantileRatio(r.Baseline.Quantile, r.Canary.Quantile)
	if m.EffectSize.Measure == EffectCLES {
		r.EffectSize = 0.5 + (pc-pb)/2
	}
	r.CLES = 0.5 + (pc-pb)/2 // a canary request above the threshold and a baseline one not, ties half
	if !ok {
		r.Classification = ClassPass
		r.Reason = fmt.Sprintf("every request in one latency bucket (%d and %d requests): nothing to tell the sides apart", cn, bn)
		r.finite()
		return r
	}
	pr, err := stats.Exceedances(ce, cn, be, bn, stats.Options{ConfidenceLevel: cfg.ConfidenceLevel})
	if err != nil { // cannot happen with requests on both sides; never pass on it
		r.Classification, r.Reason = ClassNoData, err.Error()
		return r
	}
	r.Tested, r.Exact = true, true
	r.P, r.Estimate, r.Low, r.High = pr.P, pr.Estimate, pr.Low, pr.High
	r.Power = tailPower(cfg, m, base, threshold, pb, bn, cn)
	r.Classification, r.Reason = decide(r, m)
	r.finite()
	return r
}

// quantileRatio is the canary's pooled quantile over the baseline's: 1 when
// both are 0, +Inf over a baseline of 0.
func quantileRatio(base, can float64) float64 {
	switch {
	case math.IsNaN(base) || math.IsNaN(can):
		return math.NaN()
	case base == 0 && can == 0:
		return 1
	case base == 0:
		return math.Inf(1)
	}
	return can / base
}

// tailPower is the approximate power to detect the configured effect (the
// allowed increase, else PowerEffect) as a canary whose latencies are the
// baseline's scaled by it: its share above the threshold is the baseline's
// share above threshold / (1 + effect).
func tailPower(cfg AnalysisConfig, m MetricConfig, base latency.Histogram, threshold, pb float64, bn, cn uint64) float64 {
	e := m.EffectSize
	rel := e.PowerEffect
	if e.Measure != EffectCLES && e.AllowedIncrease > 1 {
		rel = e.AllowedIncrease - 1
	}
	var above uint64
	for _, c := range base.Counts {
		if int(c.Index) >= len(base.Bounds) || base.Bounds[c.Index] > threshold/(1+rel) {
			above += uint64(c.N)
		}
	}
	return stats.ProportionPower(cn, bn, float64(above)/float64(bn), pb, stats.Alpha(cfg.ConfidenceLevel))
}

// FormatQuantile is q as a percentile's name: 0.99 is "99", 0.999 "99.9".
func FormatQuantile(q float64) string { return fmt.Sprintf("%g", math.Round(q*1e6)/1e4) }

// FormatLatency prints a latency in seconds with a unit that fits (71.6ms,
// 1.25s); a recorded +Inf (±MaxFloat64) is ∞, as everywhere in reasons
// and the UI.
func FormatLatency(v float64) string {
	switch {
	case Infinite(v) > 0:
		return "∞"
	case v < 1:
		return fmt.Sprintf("%.4gms", 1000*v)
	}
	return fmt.Sprintf("%.4gs", v)
}
