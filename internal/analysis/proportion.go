package analysis

import (
	"fmt"
	"math"

	"github.com/gennaker/gennaker/internal/analysis/stats"
)

// counted reports whether both sides' samples carry their trials (one per
// sample): shares of counted events, such as the front door's per-second
// error rate with each second's requests.
func counted(s MetricSamples) bool {
	return len(s.BaselineTrials) > 0 && len(s.BaselineTrials) == len(s.Baseline) &&
		len(s.CanaryTrials) > 0 && len(s.CanaryTrials) == len(s.Canary)
}

// events sums the events (share × trials, rounded) and the trials of one
// side; samples that are not a number are left out whatever the NaN
// strategy (a second without requests has no share), and outliers are not
// removed: a second full of errors is what the test is looking for.
func events(shares []float64, trials []uint64) (k, n uint64) {
	for i, v := range shares {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			continue
		}
		k += uint64(math.Round(v * float64(trials[i])))
		n += trials[i]
	}
	return k, n
}

// classifyProportion compares the share of events of canary and baseline
// over the whole interval, on the counts behind the per-second samples
// (stats.Proportions): more powerful than ranking per-second shares, which
// at modest traffic are 0 in most seconds, and exact for rare events. The
// classification rule is the Mann-Whitney one (decide), on the difference
// of the shares and its interval.
func classifyProportion(cfg AnalysisConfig, m MetricConfig, s MetricSamples, r MetricResult) MetricResult {
	r.Test = TestProportion
	be, bn := events(s.Baseline, s.BaselineTrials)
	ce, cn := events(s.Canary, s.CanaryTrials)
	r.Baseline.Events, r.Baseline.Trials, r.Canary.Events, r.Canary.Trials = be, bn, ce, cn
	if bn == 0 || cn == 0 {
		r.Classification, r.Insufficient = ClassNoData, true
		r.Reason = fmt.Sprintf("no trials to compare (baseline %d, canary %d)", bn, cn)
		return r
	}
	pb, pc := float64(be)/float64(bn), float64(ce)/float64(cn)
	r.EffectSize = pc / pb
	switch {
	case m.EffectSize.Measure == EffectCLES:
		r.EffectSize = 0.5 + (pc-pb)/2
	case pb == 0 && pc == 0:
		r.EffectSize = 1
	}
	r.CLES = 0.5 + (pc-pb)/2 // a random canary request fails and a baseline one does not, ties half
	if be == 0 && ce == 0 {
		r.Classification, r.Reason = ClassPass, fmt.Sprintf("no events on either side (%d and %d trials)", cn, bn)
		r.finite()
		return r
	}
	pr, err := stats.Proportions(ce, cn, be, bn, stats.Options{ConfidenceLevel: cfg.ConfidenceLevel})
	if err != nil { // cannot happen with trials on both sides; never pass on it
		r.Classification, r.Reason = ClassNoData, err.Error()
		return r
	}
	r.Tested, r.Exact = true, true
	r.P, r.Estimate, r.Low, r.High = pr.P, pr.Estimate, pr.Low, pr.High
	r.Tolerance = cfg.Tolerance * math.Abs(pr.Estimate)
	if m.Critical {
		r.Tolerance = 0 // as for Mann-Whitney: any real increase of a critical share fails
	}
	r.Power = proportionPower(cfg, m, pb, pc, bn, cn)
	r.Classification, r.Reason = decide(r, m)
	r.finite()
	return r
}

// proportionPower is the approximate power to detect the configured effect
// (the allowed increase or decrease when set, else PowerEffect) as a
// relative change of the baseline's share (the canary's when the baseline
// had none).
func proportionPower(cfg AnalysisConfig, m MetricConfig, pb, pc float64, bn, cn uint64) float64 {
	e := m.EffectSize
	rel := e.PowerEffect
	if e.Measure != EffectCLES {
		switch {
		case e.AllowedIncrease > 1:
			rel = e.AllowedIncrease - 1
		case e.AllowedDecrease < 1:
			rel = 1 - e.AllowedDecrease
		}
	}
	scale := pb
	if scale == 0 {
		scale = pc
	}
	return stats.ProportionPower(cn, bn, min(1, scale*(1+rel)), scale, stats.Alpha(cfg.ConfidenceLevel))
}
