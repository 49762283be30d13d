package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidConfig is wrapped by every error of AnalysisSpec.Validate.
var ErrInvalidConfig = errors.New("invalid analysis config")

// AnalysisProblem is one problem of an analysis config: the field, relative
// to the config (such as "metrics[1].effectSize.allowedIncrease"; "" for the
// config as a whole), and what is wrong and what to do.
type AnalysisProblem struct{ Field, Message string }

// Validate checks a config (before or after WithDefaults) and names the
// field of the first problem, e.g. "metrics[1].direction"; Problems lists
// them all.
func (c AnalysisSpec) Validate() error {
	if ps := c.Problems(); len(ps) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, ps[0].Field, ps[0].Message)
	}
	return nil
}

// Problems lists every problem of a config that can be found without CEL or
// Kubernetes types (internal/config checks those too, and reports these with
// file:line:column). A config without problems does what it says: no setting
// is out of the range where it can change a verdict, and none is ignored.
//
// Group weights are checked against c.Metrics; a config without metrics
// gets its metrics elsewhere (the canary's defaults, or the samples of
// `gennaker judge`), so its callers check it with those filled in.
func (c AnalysisSpec) Problems() []AnalysisProblem {
	var out []AnalysisProblem
	bad := func(field, format string, a ...any) {
		out = append(out, AnalysisProblem{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	c.judgeProblems(bad)
	c.scoreProblems(bad)
	for i, m := range c.Metrics {
		m.problems(fmt.Sprintf("metrics[%d]", i), bad)
	}
	c.metricSetProblems(bad)
	c.groupProblems(bad)
	return append(out, c.CheckProblems()...)
}

type reportFunc func(field, format string, a ...any)

// judgeProblems: the judge's name, and settings of the other judge.
func (c AnalysisSpec) judgeProblems(bad reportFunc) {
	switch c.Judge {
	case "", JudgeMannWhitney:
		for _, f := range []struct {
			name string
			set  bool
		}{{"maxErrorRateIncrease", c.MaxErrorRateIncrease != nil}, {"maxLatencyRatio", c.MaxLatencyRatio != nil}, {"minRequests", c.MinRequests != 0}} {
			if f.set {
				bad(f.name, "this is a setting of the threshold judge: add `judge: threshold`, or drop it and let the statistical judge decide (metrics, minSamples, thresholds)")
			}
		}
	case JudgeThreshold:
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"metrics", len(c.Metrics) > 0}, {"groups", len(c.Groups) > 0}, {"thresholds", c.Thresholds != (ScoreThresholds{})},
			{"confidenceLevel", c.ConfidenceLevel != 0}, {"tolerance", c.Tolerance != 0}, {"minSamples", c.MinSamples != 0},
		} {
			if f.set {
				bad(f.name, "the threshold judge (judge: threshold) does not use this: it compares the front door's error rate and p95 latency with minRequests, maxErrorRateIncrease and maxLatencyRatio; drop `judge: threshold` to have the statistical judge use it, or drop this")
			}
		}
	default:
		bad("judge", "%q is not %s or %s", c.Judge, JudgeMannWhitney, JudgeThreshold)
	}
	if c.MinRequests < 0 {
		bad("minRequests", "%d is negative: use 0 or more", c.MinRequests)
	}
	if r := c.MaxErrorRateIncrease; r != nil && (*r < 0 || *r > 1) {
		bad("maxErrorRateIncrease", "%g is not a ratio: use 0 to 1, such as 0.01 for one point", *r)
	}
	if r := c.MaxLatencyRatio; r != nil && *r <= 0 {
		bad("maxLatencyRatio", "%g must be above 0, such as 1.2 for 20%% slower", *r)
	}
}

// scoreProblems: the settings of the test, the data wanted and the score.
func (c AnalysisSpec) scoreProblems(bad reportFunc) {
	if c.ConfidenceLevel != 0 && (c.ConfidenceLevel <= 0.5 || c.ConfidenceLevel >= 1) {
		bad("confidenceLevel", "%v is not between 0.5 and 1 (e.g. 0.98)", c.ConfidenceLevel)
	}
	switch {
	case c.Tolerance < 0:
		bad("tolerance", "%v is negative: use 0 to below 1, such as 0.25 (the default; 0 or unset is the default)", c.Tolerance)
	case c.Tolerance >= 1:
		// The interval's low end is at most the shift's estimate, so it can
		// never clear tolerance × |estimate| when tolerance is 1 or more.
		bad("tolerance", "%v is 1 or more: a difference counts when the interval of the shift clears tolerance × |shift|, and the interval always holds the shift, so no metric that is not critical could ever be high or low; use 0 to below 1, such as 0.25 (the default)", c.Tolerance)
	}
	if c.MinSamples < 0 {
		bad("minSamples", "%d is negative: use 1 or more samples per side (0 or unset is the default, %d)", c.MinSamples, DefaultMinSamples)
	}
	if c.MaxExtensions < 0 {
		bad("maxExtensions", "%d is negative: use 0 or more", c.MaxExtensions)
	}
	t := c.WithDefaults().Thresholds
	if t.Pass > 100 || t.Marginal < 0 || t.Marginal >= t.Pass {
		bad("thresholds", "need 0 <= marginal (%v) < pass (%v) <= 100 (an unset or 0 pass is %v, an unset or 0 marginal is %v): set both, marginal below pass",
			t.Marginal, t.Pass, DefaultPassScore, DefaultMarginalScore)
	}
}

// problems of one metric at field f.
func (m AnalysisMetric) problems(f string, bad reportFunc) {
	if m.Name == "" {
		bad(f+".name", "a metric needs a name")
	}
	switch m.Direction {
	case "", DirectionIncrease, DirectionDecrease, DirectionEither:
	default:
		bad(f+".direction", "%q is not increase, decrease or either", m.Direction)
	}
	switch m.NaNStrategy {
	case "", NaNRemove, NaNReplace:
	default:
		bad(f+".nanStrategy", "%q is not remove or replace", m.NaNStrategy)
	}
	if m.Weight < 0 {
		bad(f+".weight", "%v is negative: use a weight above 0 (0 or unset is 1)", m.Weight)
	}
	if o := m.Outliers; o != nil {
		switch o.Strategy {
		case "", "remove", "keep":
		default:
			bad(f+".outliers.strategy", "%q is not remove or keep", o.Strategy)
		}
		switch {
		case o.Factor < 0:
			bad(f+".outliers.factor", "%g is negative: the fences Q1 − factor × IQR and Q3 + factor × IQR would cross and remove every sample; use a factor above 0, such as 3 (the default, Kayenta's) or 1.5", o.Factor)
		case o.Factor != 0 && o.Strategy == "keep":
			bad(f+".outliers.factor", "strategy: keep removes nothing, so the factor does nothing: use strategy: remove, or drop the factor")
		}
	}
	switch m.EffectSize.Measure {
	case "", EffectMeanRatio, EffectCLES:
		m.effectProblems(f+".effectSize", bad)
	default:
		bad(f+".effectSize.measure", "%q is not meanRatio or cles", m.EffectSize.Measure)
	}
}

// effectProblems: each effect size is in the range where it can change a
// classification, for its measure and the metric's direction.
func (m AnalysisMetric) effectProblems(f string, bad reportFunc) {
	e, d := m.EffectSize, m.WithDefaults()
	eff := d.EffectSize
	type limit struct {
		name     string
		v        float64
		ok       bool
		explain  string
		critical bool
		up       bool // an increase's setting (else a decrease's)
	}
	var limits []limit
	if eff.Measure == EffectCLES {
		limits = []limit{
			{"allowedIncrease", e.AllowedIncrease, e.AllowedIncrease >= 0.5 && e.AllowedIncrease < 1,
				"with measure cles it is the largest P(canary > baseline) of a significant increase that still passes, and a CLES is never above 1, so 1 or more lets every increase pass: use 0.5 (none) to below 1, such as 0.6", false, true},
			{"allowedDecrease", e.AllowedDecrease, e.AllowedDecrease > 0 && e.AllowedDecrease <= 0.5,
				"with measure cles it is the smallest P(canary > baseline) of a significant decrease that still passes: use above 0 up to 0.5 (none), such as 0.4", false, false},
			{"criticalIncrease", e.CriticalIncrease, e.CriticalIncrease >= eff.AllowedIncrease && e.CriticalIncrease < 1,
				fmt.Sprintf("with measure cles only an increase beyond it fails the interval, and a CLES is never above 1: use allowedIncrease (%g) to below 1, such as 0.9", eff.AllowedIncrease), true, true},
			{"criticalDecrease", e.CriticalDecrease, e.CriticalDecrease > 0 && e.CriticalDecrease <= eff.AllowedDecrease,
				fmt.Sprintf("with measure cles only a decrease below it fails the interval: use above 0 up to allowedDecrease (%g), such as 0.1", eff.AllowedDecrease), true, false},
			{"powerEffect", e.PowerEffect, e.PowerEffect > 0 && e.PowerEffect < 0.5,
				"with measure cles the power is for a CLES of 0.5 + powerEffect, which is at most 1: use above 0 and below 0.5, such as 0.2", false, false},
		}
	} else {
		limits = []limit{
			{"allowedIncrease", e.AllowedIncrease, e.AllowedIncrease >= 1,
				"it is the largest mean ratio canary ÷ baseline of a significant increase that still passes: use 1 (none) or more, such as 1.1 for 10% slower", false, true},
			{"allowedDecrease", e.AllowedDecrease, e.AllowedDecrease > 0 && e.AllowedDecrease <= 1,
				"it is the smallest mean ratio canary ÷ baseline of a significant decrease that still passes: use above 0 up to 1 (none), such as 0.9 for 10% less", false, false},
			{"criticalIncrease", e.CriticalIncrease, e.CriticalIncrease >= eff.AllowedIncrease,
				fmt.Sprintf("only an increase beyond it fails the interval, and only an increase beyond allowedIncrease (%g) is high at all: use allowedIncrease or more, such as 2 for twice the baseline's mean", eff.AllowedIncrease), true, true},
			{"criticalDecrease", e.CriticalDecrease, e.CriticalDecrease > 0 && e.CriticalDecrease <= eff.AllowedDecrease,
				fmt.Sprintf("only a decrease below it fails the interval, and only a decrease below allowedDecrease (%g) is low at all: use above 0 up to allowedDecrease, such as 0.5 for half the baseline's mean", eff.AllowedDecrease), true, false},
			{"powerEffect", e.PowerEffect, e.PowerEffect > 0,
				"it is the relative change of the baseline's mean the power is for: use above 0, such as 0.2 for 20%", false, false},
		}
	}
	for _, l := range limits {
		if l.v == 0 { // unset
			continue
		}
		field := f + "." + l.name
		switch {
		case !l.ok:
			bad(field, "%g is out of range: %s", l.v, l.explain)
		case l.critical && !m.Critical:
			bad(field, "only a critical metric uses %s: add critical: true, or drop it", l.name)
		case l.name == "powerEffect":
		case l.up && d.Direction == DirectionDecrease:
			bad(field, "direction: decrease judges only decreases, so %s does nothing: use direction: either, or drop it", l.name)
		case !l.up && d.Direction == DirectionIncrease:
			bad(field, "direction: increase judges only increases, so %s does nothing: use direction: either, or drop it", l.name)
		}
	}
}

// metricSetProblems: names are unique, and something is left to score.
func (c AnalysisSpec) metricSetProblems(bad reportFunc) {
	seen := map[string]bool{}
	muted := 0
	for i, m := range c.Metrics {
		if m.Name != "" && seen[m.Name] {
			bad(fmt.Sprintf("metrics[%d].name", i), "%q is used twice", m.Name)
		}
		seen[m.Name] = true
		if m.Muted {
			muted++
		}
	}
	if len(c.Metrics) > 0 && muted == len(c.Metrics) {
		bad("metrics", "every metric is muted, so the judge never has one to score and every interval ends inconclusive: unmute at least one")
	}
}

// groupProblems: every weighted group is used by a metric, weighs
// something, and leaves something of 100 for the groups without a weight
// (which share what is left: with nothing left they would never count).
func (c AnalysisSpec) groupProblems(bad reportFunc) {
	used := map[string]bool{}   // a metric is in it
	scored := map[string]bool{} // an unmuted metric is in it
	var usedOrder []string
	for _, m := range c.Metrics {
		g := m.WithDefaults().Group
		if !used[g] {
			used[g] = true
			usedOrder = append(usedOrder, g)
		}
		scored[g] = scored[g] || !m.Muted
	}
	weighted := map[string]bool{}
	total := 0.0
	var named []string
	for i, g := range c.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		switch {
		case g.Name == "":
			bad(f+".name", "a group needs a name: the group metrics name in their group field")
			continue
		case weighted[g.Name]:
			bad(f+".name", "%q is listed twice: give each group one weight", g.Name)
			continue
		}
		weighted[g.Name] = true
		switch {
		case g.Weight <= 0:
			bad(f+".weight", "%v is not above 0: with it the group's metrics never count; give it a weight above 0, or mute its metrics", g.Weight)
		case len(c.Metrics) > 0 && !used[g.Name]:
			bad(f+".name", "no metric is in group %q (the metrics are in %s), so its weight does nothing: fix the name here or in the metrics' group field", g.Name, strings.Join(quoted(usedOrder), ", "))
		}
		total += max(g.Weight, 0)
		named = append(named, fmt.Sprintf("%s %g", g.Name, g.Weight))
	}
	var rest []string
	for _, g := range usedOrder {
		if scored[g] && !weighted[g] {
			rest = append(rest, g)
		}
	}
	if len(rest) > 0 && total >= 100 {
		bad("groups", "the weights add up to %g (%s), which leaves nothing of 100 for %s: a group without a weight shares what is left, so it would never count; give it a weight too, or make these add up to less than 100",
			total, strings.Join(named, ", "), strings.Join(quoted(rest), ", "))
	}
}

func quoted(ss []string) []string {
	out := slices.Clone(ss)
	for i, s := range out {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
