package analysis

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gennaker/gennaker/internal/analysis/stats"
	"github.com/gennaker/gennaker/internal/latency"
)

// Classification is the judge's finding about one metric.
type Classification string

const (
	// ClassPass: no difference beyond the tolerance and the allowed effect.
	ClassPass Classification = "pass"
	// ClassHigh: the canary is significantly higher than the baseline.
	ClassHigh Classification = "high"
	// ClassLow: the canary is significantly lower than the baseline.
	ClassLow Classification = "low"
	// ClassNoData: too little data to compare; never counts as a pass.
	ClassNoData Classification = "nodata"
)

// SampleSummary describes one side's samples after NaN handling and outlier removal.
type SampleSummary struct {
	Count int `json:"count"` // samples tested
	NaN   int `json:"nan"`   // NaN samples removed or replaced
	// Infinite samples (±Inf) are tested as the extreme values they are,
	// never removed or replaced; this counts them.
	Infinite int     `json:"infinite,omitempty"`
	Outliers int     `json:"outliers"` // samples removed as outliers
	Mean     float64 `json:"mean"`
	Median   float64 `json:"median"`
	StdDev   float64 `json:"stdDev"`
	// Events and Trials are the counts a proportion is tested on (the
	// errors and requests behind a per-second error rate); 0 otherwise.
	// For TestTail, Events are the requests above the threshold and
	// Trials all the side's requests of the interval.
	Events uint64 `json:"events,omitempty"`
	Trials uint64 `json:"trials,omitempty"`
	// Quantile is the side's q-quantile of its requests pooled over the
	// interval (TestTail only).
	Quantile float64 `json:"quantile,omitempty"`
}

// MetricResult is one metric's classification with the statistics behind it.
// Every float is finite (JSON-safe): an infinite statistic (a mean ratio over
// a zero baseline mean, the mean, spread or shift of samples holding +Inf,
// a shift beyond the float64 range) is recorded as ±math.MaxFloat64 (see
// Infinite), an undefined one (the mean of +Inf and -Inf) as 0.
type MetricResult struct {
	Name           string         `json:"name"`
	Group          string         `json:"group"`
	Classification Classification `json:"classification"`
	Reason         string         `json:"reason"`
	Critical       bool           `json:"critical,omitempty"`
	Muted          bool           `json:"muted,omitempty"`
	// CriticalFailure: a critical, unmuted metric that is high or low
	// beyond its critical effect size; the interval scores 0.
	CriticalFailure bool `json:"criticalFailure,omitempty"`
	// Insufficient: fewer samples than the minimum (or a failed source); the
	// interval is extended or inconclusive.
	Insufficient bool          `json:"insufficient,omitempty"`
	Baseline     SampleSummary `json:"baseline"`
	Canary       SampleSummary `json:"canary"`
	// Tested: a test ran and the fields below are set.
	Tested bool `json:"tested"`
	// Test is the test that ran: TestMannWhitney on the per-second samples,
	// TestProportion on the events and trials behind them, or TestTail on
	// the requests above Threshold.
	Test TestKind `json:"test,omitempty"`
	// Quantile and Threshold, for TestTail: the metric's quantile (0.99 for
	// a p99) and the latency in seconds that requests of each side were
	// counted above (the bound of the bucket holding the pooled quantile).
	Quantile  float64 `json:"quantile,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	U         float64 `json:"u"`
	P         float64 `json:"p"`
	Exact     bool    `json:"exact"`
	// Estimate is the Hodges-Lehmann shift canary - baseline; Low and High
	// its confidence interval at ConfidenceLevel.
	Estimate        float64 `json:"estimate"`
	Low             float64 `json:"low"`
	High            float64 `json:"high"`
	ConfidenceLevel float64 `json:"confidenceLevel"`
	// Tolerance is how far the interval had to clear zero: tolerance × |estimate|.
	Tolerance     float64       `json:"tolerance"`
	EffectMeasure EffectMeasure `json:"effectMeasure"`
	EffectSize    float64       `json:"effectSize"`
	// CLES is P(canary > baseline), ties counting half: which way the
	// samples lean when the shift's estimate is 0.
	CLES float64 `json:"cles"`
	// Power is the approximate power the test had to detect the configured
	// effect (see stats.Power); 0 when not tested.
	Power float64 `json:"power"`
}

// TestKind names the test that compared a metric.
type TestKind string

const (
	// TestMannWhitney: the Mann-Whitney U test of the per-second samples,
	// with the Hodges-Lehmann interval of the shift.
	TestMannWhitney TestKind = "mannWhitney"
	// TestProportion: the exact conditional test of two proportions on the
	// counts behind the samples (errors among requests), with the Newcombe
	// interval of the difference; for samples that carry their trials.
	TestProportion TestKind = "proportion"
	// TestTail: Fisher's exact test of the shares of each side's requests
	// above the pooled q-quantile of the interval, for a latency quantile
	// whose samples carry the interval's requests (the front door's).
	TestTail TestKind = "tail"
)

// MetricSamples are one metric's samples for one interval.
type MetricSamples struct {
	Name     string    `json:"name"`
	Baseline []float64 `json:"baseline"`
	Canary   []float64 `json:"canary"`
	// BaselineTrials and CanaryTrials, when a source knows them, are the
	// trials each sample is a share of (the requests of each second of an
	// error rate): one per sample. With them the metric is a proportion of
	// counted events and is tested as one (TestProportion).
	BaselineTrials []uint64 `json:"baselineTrials,omitempty"`
	CanaryTrials   []uint64 `json:"canaryTrials,omitempty"`
	// BaselineLatency and CanaryLatency, when a source has them, hold every
	// request of the interval (the front door's per-second histograms
	// added up), and Quantile is the q the samples are per-second
	// q-quantiles of (0.99 for latency_p99). With them the metric is tested
	// on the requests (TestTail).
	BaselineLatency *latency.Histogram `json:"baselineLatency,omitempty"`
	CanaryLatency   *latency.Histogram `json:"canaryLatency,omitempty"`
	Quantile        float64            `json:"quantile,omitempty"`
	// Error, when set, is why the samples could not be fetched; the metric
	// then has no data for this interval (never a pass).
	Error string `json:"error,omitempty"`
}

// ClassifyMetric compares one metric's canary samples with its baseline's.
// cfg must have its defaults (AnalysisConfig.WithDefaults); m is one of its
// metrics. It is pure: the same input always gives the same result.
func ClassifyMetric(cfg AnalysisConfig, m MetricConfig, s MetricSamples) MetricResult {
	r := classify(cfg, m, s)
	r.CriticalFailure = m.Critical && !m.Muted && criticalFailure(r, m.EffectSize)
	r.finite()
	return r
}

// MaxSamples is the most samples per side a metric may have in one
// interval: a million (11 days of one sample a second). The judge takes
// O(n log n) time and O(n) memory — about 2 s and 100 MiB at the cap (see
// docs/benchmarks.md) — and refuses more rather than run out of memory.
const MaxSamples = 1_000_000

// TooManySamples is the error for a side with more than MaxSamples samples.
func TooManySamples(metric, side string, n int) error {
	return fmt.Errorf("%w: metric %s: the %s has %d samples, more than the judge's cap of %d per side: judge a shorter interval, or aggregate the samples (e.g. one per second)",
		ErrTooManySamples, metric, side, n, MaxSamples)
}

// ErrTooManySamples is wrapped by TooManySamples.
var ErrTooManySamples = errors.New("too many samples")

func classify(cfg AnalysisConfig, m MetricConfig, s MetricSamples) MetricResult {
	r := MetricResult{Name: m.Name, Group: m.Group, Critical: m.Critical, Muted: m.Muted,
		ConfidenceLevel: cfg.ConfidenceLevel, EffectMeasure: m.EffectSize.Measure}
	for _, side := range []struct {
		name string
		n    int
	}{{"baseline", len(s.Baseline)}, {"canary", len(s.Canary)}} {
		if side.n > MaxSamples {
			r.Classification, r.Insufficient = ClassNoData, true
			r.Reason = TooManySamples(m.Name, side.name, side.n).Error()
			return r
		}
	}
	base, bs := prepare(s.Baseline, m)
	can, cs := prepare(s.Canary, m)
	r.Baseline, r.Canary = bs, cs

	switch {
	case s.Error != "":
		r.Classification, r.Insufficient = ClassNoData, true
		r.Reason = "the source failed: " + s.Error
		return r
	case len(base) == 0 || len(can) == 0:
		must := m.MustHaveData == nil || *m.MustHaveData
		// A critical metric may be silent on both sides (a rare error
		// counter with no series), not on one: errors on the canary beside
		// none on the baseline are what it is there to catch.
		oneSided := m.Critical && len(base)+len(can) > 0
		r.Classification, r.Insufficient = ClassNoData, must || oneSided
		r.Reason = fmt.Sprintf("no data (baseline %d, canary %d samples)", len(base), len(can))
		switch {
		case must:
		case oneSided:
			r.Reason += "; a critical metric may lack data (mustHaveData: false) on both sides, not on one"
		case m.Critical:
			r.Reason += "; left out of the score (mustHaveData: false), so this critical metric cannot fail the interval"
		default:
			r.Reason += "; left out of the score (mustHaveData: false)"
		}
		return r
	case len(base) < cfg.MinSamples || len(can) < cfg.MinSamples:
		r.Classification, r.Insufficient = ClassNoData, true
		r.Reason = fmt.Sprintf("too few samples (baseline %d, canary %d; each needs %d)", len(base), len(can), cfg.MinSamples)
		return r
	case counted(s):
		return classifyProportion(cfg, m, s, r)
	case pooled(s):
		return classifyTail(cfg, m, s, r)
	case minimumP(len(base), len(can)) >= stats.Alpha(cfg.ConfidenceLevel):
		// No outcome of the test could be significant: judging would pass
		// any canary, however bad.
		r.Classification, r.Insufficient = ClassNoData, true
		r.Reason = fmt.Sprintf("too few samples to ever be significant at %.0f%% (baseline %d, canary %d: the smallest possible p is %.3g); raise minSamples",
			100*cfg.ConfidenceLevel, len(base), len(can), minimumP(len(base), len(can)))
		return r
	}

	r.EffectSize = effectSize(m.EffectSize.Measure, base, can)
	if sortedEqual(base, can) {
		r.Classification, r.Reason = ClassPass, "canary and baseline samples are identical"
		return r
	}
	mw, err := stats.MannWhitney(can, base, stats.Options{ConfidenceLevel: cfg.ConfidenceLevel})
	if err != nil { // cannot happen after prepare; never pass on it
		r.Classification, r.Insufficient, r.Reason = ClassNoData, true, err.Error()
		return r
	}
	r.Tested, r.Test = true, TestMannWhitney
	r.U, r.P, r.Exact, r.Estimate, r.Low, r.High, r.CLES = mw.U, mw.P, mw.Exact, mw.Estimate, mw.Low, mw.High, mw.CLES
	if m.EffectSize.Measure == EffectCLES {
		r.EffectSize = mw.CLES
	}
	r.Tolerance = cfg.Tolerance * math.Abs(mw.Estimate)
	if m.Critical || math.IsInf(mw.Estimate, 0) {
		// A critical metric catches any real regression: the interval only
		// has to exclude zero. (Kayenta's tolerance let a canary with 43%
		// errors pass on 10 samples, because the wide interval's low end
		// fell just short of 0.25 × the estimate.) An infinite estimate
		// (most pairs have the canary at +Inf) makes a share of it
		// meaningless too: the test decides, as for an estimate of 0.
		r.Tolerance = 0
	}
	r.Power = power(cfg, m, base, can)
	r.Classification, r.Reason = decide(r, m)
	return r
}

// decide classifies a tested metric: Kayenta's rule (the interval clears
// zero by the tolerance in a direction that matters), then the effect gate.
func decide(r MetricResult, m MetricConfig) (Classification, string) {
	e := m.EffectSize
	interval := evidence(r, m)
	up := m.Direction == DirectionIncrease || m.Direction == DirectionEither
	down := m.Direction == DirectionDecrease || m.Direction == DirectionEither
	// Only a significant test counts. With tiny samples the interval at the
	// requested level cannot be had (two samples a side never reach
	// p < 0.02) and its ends mean nothing, so the test decides first.
	// A critical metric then fails on the test itself: with many ties (a
	// 5xx share that is 0 in most seconds) the Hodges-Lehmann interval's end
	// sits exactly on 0 although the test rejects; the samples' lean (CLES)
	// gives the direction.
	// p is compared with 1 − confidence rounded to 12 decimals (stats.Alpha):
	// p = 0.02 is not significant at 98%.
	significant := stats.Significant(r.P, r.ConfidenceLevel)
	// The interval can say nothing when ties pin the shift's estimate to 0,
	// nor a share of it when it is infinite; then (and always for a critical
	// metric) the test and the lean decide.
	// The tail test has no tolerance either: its effect gate (the pooled
	// quantiles' ratio) is what spares a small shift.
	byTest := significant && (m.Critical || r.Test == TestTail || r.Estimate == 0 || math.IsInf(r.Estimate, 0))
	switch {
	case up && significant && (r.Low > r.Tolerance || (byTest && r.CLES > 0.5)):
		if r.EffectSize <= e.AllowedIncrease {
			return ClassPass, fmt.Sprintf("significant increase (%s) within the allowed effect %.3g", interval, e.AllowedIncrease)
		}
		return ClassHigh, fmt.Sprintf("canary higher than baseline: %s", interval)
	case down && significant && (r.High < -r.Tolerance || (byTest && r.CLES < 0.5)):
		if r.EffectSize >= e.AllowedDecrease {
			return ClassPass, fmt.Sprintf("significant decrease (%s) within the allowed effect %.3g", interval, e.AllowedDecrease)
		}
		return ClassLow, fmt.Sprintf("canary lower than baseline: %s", interval)
	}
	switch {
	case up && significant && r.Low > 0:
		return ClassPass, fmt.Sprintf("significant increase but within the tolerance %.4g (%.2f × |shift|): %s", r.Tolerance, tolerance(r), interval)
	case down && significant && r.High < 0:
		return ClassPass, fmt.Sprintf("significant decrease but within the tolerance %.4g (%.2f × |shift|): %s", r.Tolerance, tolerance(r), interval)
	}
	return ClassPass, "no significant difference: " + interval
}

// evidence is the numbers behind a tested metric's classification, for its reason.
func evidence(r MetricResult, m MetricConfig) string {
	if r.Test == TestProportion {
		return fmt.Sprintf("share %.4g (%d of %d) against %.4g (%d of %d), difference %.4g, %.4g%% interval [%.4g, %.4g], p=%s, %s %s",
			float64(r.Canary.Events)/float64(r.Canary.Trials), r.Canary.Events, r.Canary.Trials,
			float64(r.Baseline.Events)/float64(r.Baseline.Trials), r.Baseline.Events, r.Baseline.Trials,
			r.Estimate, 100*r.ConfidenceLevel, r.Low, r.High, FormatSig(r.P, 3), r.EffectMeasure, FormatSig(r.EffectSize, 3))
	}
	if r.Test == TestTail {
		return fmt.Sprintf("%.4g%% of requests above %s (the pooled p%s) against %.4g%% (%d of %d against %d of %d), p=%s; p%s %s against %s, %s %s",
			100*float64(r.Canary.Events)/float64(r.Canary.Trials), FormatLatency(r.Threshold), FormatQuantile(TailQuantile(r.Quantile)),
			100*float64(r.Baseline.Events)/float64(r.Baseline.Trials), r.Canary.Events, r.Canary.Trials, r.Baseline.Events, r.Baseline.Trials,
			FormatSig(r.P, 3), FormatQuantile(r.Quantile), FormatLatency(r.Canary.Quantile), FormatLatency(r.Baseline.Quantile), r.EffectMeasure, FormatSig(r.EffectSize, 3))
	}
	s := fmt.Sprintf("shift %s, %.4g%% interval [%s, %s], p=%s, %s %s", FormatSig(r.Estimate, 4),
		100*r.ConfidenceLevel, FormatSig(r.Low, 4), FormatSig(r.High, 4), FormatSig(r.P, 3), r.EffectMeasure, FormatSig(r.EffectSize, 3))
	if (m.Critical || r.Estimate == 0) && r.Low <= 0 && r.High >= 0 && stats.Significant(r.P, r.ConfidenceLevel) {
		s += fmt.Sprintf(", canary above baseline in %.0f%% of pairs", 100*r.CLES)
	}
	return s
}

// minimumP is the smallest two-sided p-value the Mann-Whitney test can give
// with n1 and n2 samples (complete separation, no ties): 2 / C(n1+n2, n1).
func minimumP(n1, n2 int) float64 {
	c := 1.0
	for i := 1; i <= min(n1, n2); i++ {
		c = c * float64(max(n1, n2)+i) / float64(i)
	}
	return min(1, 2/c)
}

// tolerance is the factor behind r.Tolerance, for explanations.
func tolerance(r MetricResult) float64 {
	if r.Estimate == 0 {
		return 0
	}
	return r.Tolerance / math.Abs(r.Estimate)
}

// criticalFailure: a critical metric fails the interval when it is high or
// low, unless a critical effect size is set and not exceeded. NoData is no
// critical failure: too little data extends the interval (and ends it
// inconclusive, never passed), and a metric that may have no data
// (mustHaveData: false, a rare error counter that is silent) is left out of
// the score as it says. Kayenta fails a critical metric without data whatever
// mustHaveData says; see docs/analysis.md.
func criticalFailure(r MetricResult, e EffectSize) bool {
	switch r.Classification {
	case ClassHigh:
		return e.CriticalIncrease == 0 || r.EffectSize > e.CriticalIncrease
	case ClassLow:
		return e.CriticalDecrease == 0 || r.EffectSize < e.CriticalDecrease
	}
	return false // Pass, NoData
}

// prepare applies the NaN strategy and the outlier removal. ±Inf are values
// (a latency quantile above a histogram's top bucket is the canary at its
// worst): they are tested, never removed or replaced.
func prepare(xs []float64, m MetricConfig) ([]float64, SampleSummary) {
	var s SampleSummary
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if math.IsInf(x, 0) {
			s.Infinite++
		}
		if math.IsNaN(x) {
			s.NaN++
			if m.NaNStrategy == NaNReplace {
				out = append(out, 0)
			}
			continue
		}
		out = append(out, x)
	}
	if m.Outliers != nil && m.Outliers.Strategy == "remove" {
		out, s.Outliers = stats.RemoveOutliers(out, m.Outliers.Factor)
	}
	s.Count = len(out)
	if len(out) > 0 {
		s.Mean, s.Median, s.StdDev = stats.Mean(out), stats.Median(out), stats.StdDev(out)
	}
	return out, s
}

// effectSize is the CLES of canary over baseline, or the ratio of their
// means: ±Inf when only the canary's mean is infinite, 0 when only the
// baseline's is, NaN (undefined: no effect-size gate can spare the metric)
// when both are.
func effectSize(measure EffectMeasure, base, can []float64) float64 {
	if measure == EffectCLES {
		return stats.CLES(can, base)
	}
	mb, mc := stats.Mean(base), stats.Mean(can)
	if mb == 0 {
		if mc == 0 {
			return 1
		}
		return math.Copysign(math.Inf(1), mc)
	}
	return mc / mb
}

// power is the approximate power to detect the configured effect: the
// allowed increase (or decrease) when it is set, else PowerEffect, as a
// change of the baseline mean (meanRatio) or the shift that gives that CLES.
func power(cfg AnalysisConfig, m MetricConfig, base, can []float64) float64 {
	e := m.EffectSize
	sd := stats.StdDev(base)
	if sd == 0 {
		sd = stats.StdDev(can)
	}
	alpha := stats.Alpha(cfg.ConfidenceLevel)
	var delta float64
	if e.Measure == EffectCLES {
		c := 0.5 + e.PowerEffect
		switch {
		case e.AllowedIncrease > 0.5:
			c = e.AllowedIncrease
		case e.AllowedDecrease < 0.5:
			c = 1 - e.AllowedDecrease
		}
		delta = stats.ShiftForCLES(min(c, 0.999), sd)
	} else {
		rel := e.PowerEffect
		switch {
		case e.AllowedIncrease > 1:
			rel = e.AllowedIncrease - 1
		case e.AllowedDecrease < 1:
			rel = 1 - e.AllowedDecrease
		}
		scale := math.Abs(stats.Mean(base))
		if scale == 0 {
			// A baseline at 0 (no errors at all) makes a relative effect 0
			// and the power meaningless (just alpha): size the effect on the
			// canary's level instead, which is what a change would be seen at.
			scale = math.Abs(stats.Mean(can))
		}
		delta = rel * scale
	}
	return stats.Power(len(base), len(can), sd, delta, alpha)
}

func sortedEqual(a, b []float64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Infinite reports how a recorded statistic stands for infinity: +1 or -1
// for the ±math.MaxFloat64 that finite stores (an effect ratio over a zero
// baseline mean, say), 0 for a measured value.
func Infinite(v float64) int {
	switch {
	case v >= math.MaxFloat64 || math.IsInf(v, 1):
		return 1
	case v <= -math.MaxFloat64 || math.IsInf(v, -1):
		return -1
	}
	return 0
}

// finite makes every float of r JSON-safe.
func (r *MetricResult) finite() {
	for _, p := range []*float64{&r.Threshold, &r.Baseline.Quantile, &r.Canary.Quantile, &r.U, &r.P, &r.Estimate, &r.Low, &r.High, &r.Tolerance, &r.EffectSize, &r.Power,
		&r.CLES, &r.ConfidenceLevel, &r.Baseline.Mean, &r.Baseline.Median, &r.Baseline.StdDev,
		&r.Canary.Mean, &r.Canary.Median, &r.Canary.StdDev} {
		switch {
		case math.IsNaN(*p):
			*p = 0
		case math.IsInf(*p, 1):
			*p = math.MaxFloat64
		case math.IsInf(*p, -1):
			*p = -math.MaxFloat64
		}
	}
}
