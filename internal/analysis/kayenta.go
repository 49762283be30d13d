package analysis

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis/stats"
)

// SampleJudge decides one measurement interval from per-metric samples.
// Implementations are pure: the same input always gives the same report.
type SampleJudge interface {
	JudgeSamples(in SampleInput) Report
}

// SampleInput is everything the statistical judge sees about one interval.
type SampleInput struct {
	Config  AnalysisConfig  `json:"config"`
	Samples []MetricSamples `json:"samples"`
	// Extensions is how many times this interval was already extended for lack of data.
	Extensions int `json:"extensions"`
	// Final: this is the analysis' last interval, so its score must reach
	// Thresholds.Pass (a marginal score fails instead of going on).
	Final bool `json:"final"`
	// Intervals is how many intervals the analysis step plans (0 counts as
	// 1). Each is a chance for a critical metric to fail a good canary on
	// its own, so their false-alarm budget, 1 - ConfidenceLevel, is split
	// evenly among them (see IntervalConfidence).
	Intervals int `json:"intervals,omitempty"`
}

// IntervalConfidence is the confidence level each of a step's intervals is
// judged at, so that the step as a whole keeps the configured one: the
// significance 1 - level is split evenly among the planned intervals
// (Bonferroni). The intervals do not overlap, so their tests are independent
// and a good canary fails the step with probability at most 1 - level (a
// little less: 1 - (1 - alpha/k)^k).
func IntervalConfidence(level float64, intervals int) float64 {
	if intervals <= 1 {
		return level
	}
	return 1 - stats.Alpha(level)/float64(intervals)
}

// Report is the statistical judge's decision record for one interval.
type Report struct {
	Outcome Outcome `json:"outcome"`
	// Verdict is the score's class (pass, marginal, fail or inconclusive).
	Verdict ScoreClass `json:"verdict"`
	// Score is the weighted-sum score, 0-100 (0 without enough data).
	Score float64 `json:"score"`
	// Reason is one readable sentence for the execution view.
	Reason     string         `json:"reason"`
	Groups     []GroupScore   `json:"groups"`
	Metrics    []MetricResult `json:"metrics"`
	Extensions int            `json:"extensions"`
	Final      bool           `json:"final"`
	// ConfidenceLevel is the level this interval's critical metrics were
	// judged at: the config's, split among the step's Intervals
	// (IntervalConfidence). Other metrics are judged at the config's.
	ConfidenceLevel float64 `json:"confidenceLevel,omitempty"`
	Intervals       int     `json:"intervals,omitempty"`
}

// MannWhitneyJudge is the Kayenta-style statistical judge (see
// docs/analysis.md): each metric's canary samples are compared with the
// baseline's by a Mann-Whitney U test and the Hodges-Lehmann interval of the
// shift, classified High, Low, Pass or NoData, and the classifications are
// scored by group weights against the pass and marginal thresholds.
type MannWhitneyJudge struct{}

var _ SampleJudge = MannWhitneyJudge{}

// JudgeSamples decides one interval. Metrics without samples in in.Samples
// have no data. Steps:
//
//  1. classify every configured metric (ClassifyMetric), the critical ones
//     at the step's confidence level split among its planned intervals
//     (IntervalConfidence), and on the last interval the latency quantiles
//     tested on requests (TestTail) too;
//  2. any unmuted metric with too little data (fewer than MinSamples, a
//     failed source, or no data when it must have data), or no scorable
//     metric at all: Extend until MaxExtensions, then Inconclusive (at once
//     when metrics had data but their groups weigh 0);
//  3. score (ScoreMetrics); a critical failure scores 0;
//  4. a score at or below marginal fails; at or above pass passes; between
//     them the interval goes on (OutcomePass) unless it is the final one,
//     which fails.
func (MannWhitneyJudge) JudgeSamples(in SampleInput) Report {
	cfg := in.Config.WithDefaults()
	critical := cfg
	critical.ConfidenceLevel = IntervalConfidence(cfg.ConfidenceLevel, in.Intervals)
	samples := map[string]MetricSamples{}
	for _, s := range in.Samples {
		samples[s.Name] = s
	}
	rep := Report{Extensions: in.Extensions, Final: in.Final, ConfidenceLevel: critical.ConfidenceLevel, Intervals: in.Intervals}
	var short []string
	for _, m := range cfg.Metrics {
		s, ok := samples[m.Name]
		if !ok {
			s = MetricSamples{Name: m.Name}
		}
		c := cfg
		// On a step's last interval a lone High of a metric fails the
		// step (marginal fails at the end), so a tail test spends its
		// share of the budget there as a critical metric does; before,
		// a lone High only makes the interval marginal.
		if m.Critical && !m.Muted || (in.Final && !m.Muted && pooled(s)) {
			c = critical
		}
		r := ClassifyMetric(c, m, s)
		rep.Metrics = append(rep.Metrics, r)
		if r.Insufficient && !r.Muted {
			short = append(short, r.Name+": "+r.Reason)
		}
	}
	groups, score, scored := ScoreMetrics(cfg, rep.Metrics)
	rep.Groups = groups
	if crit := failedCritical(rep.Metrics); len(crit) > 0 && len(short) > 0 {
		// A critical failure is a verdict whatever else lacks data: waiting
		// for more would only send more traffic to a bad canary.
		rep.Verdict, rep.Outcome = ScoreFail, OutcomeFail
		rep.Reason = fmt.Sprintf("critical metric %s failed: %s (and too little data for: %s)",
			strings.Join(crit, ", "), criticalReasons(rep.Metrics), strings.Join(short, "; "))
		return rep
	}
	if !scored && len(short) == 0 {
		why, weightless := nothingScored(rep.Metrics, groups)
		if weightless {
			// More data cannot help: the config's weights leave nothing to score.
			rep.Verdict, rep.Outcome = ScoreInconclusive, OutcomeInconclusive
			rep.Reason = "nothing to score: " + why
			return rep
		}
		short = append(short, why)
	}
	if len(short) > 0 {
		rep.Verdict = ScoreInconclusive
		detail := strings.Join(short, "; ")
		if in.Extensions < cfg.MaxExtensions {
			rep.Outcome = OutcomeExtend
			rep.Reason = fmt.Sprintf("too little data: %s; measuring longer (extension %d of %d)", detail, in.Extensions+1, cfg.MaxExtensions)
		} else {
			rep.Outcome = OutcomeInconclusive
			rep.Reason = fmt.Sprintf("too little data after %d extensions: %s", cfg.MaxExtensions, detail)
		}
		return rep
	}
	rep.Score = score
	rep.Verdict = ClassifyScore(cfg.Thresholds, score)
	rep.Reason = scoreReason(cfg, rep)
	switch {
	case rep.Verdict == ScorePass:
		rep.Outcome = OutcomePass
	case rep.Verdict == ScoreMarginal && !in.Final:
		rep.Outcome = OutcomePass
	default:
		rep.Outcome = OutcomeFail
	}
	return rep
}

// failedCritical names the critical metrics that were tested and failed.
func failedCritical(ms []MetricResult) []string {
	var out []string
	for _, m := range ms {
		if m.CriticalFailure && m.Tested && !m.Insufficient {
			out = append(out, m.Name)
		}
	}
	return out
}

func criticalReasons(ms []MetricResult) string {
	var out []string
	for _, m := range ms {
		if m.CriticalFailure && m.Tested && !m.Insufficient {
			out = append(out, fmt.Sprintf("%s %s (%s)", m.Name, m.Classification, m.Reason))
		}
	}
	return strings.Join(out, "; ")
}

// nothingScored says why no metric could be scored although none lacked
// data it must have: every metric was muted or had no data it may lack
// (mustHaveData: false), or every group that had data weighs 0 (weightless;
// validation refuses such weights, but a replay may judge with an old config).
func nothingScored(ms []MetricResult, groups []GroupScore) (why string, weightless bool) {
	var zero []string
	for _, g := range groups {
		if !g.NoData && g.Weight <= 0 {
			zero = append(zero, g.Name)
		}
	}
	if len(zero) > 0 {
		return fmt.Sprintf("the groups that had data (%s) weigh 0, because the other groups' weights (groups[].weight) leave them nothing of 100: give them a weight", strings.Join(zero, ", ")), true
	}
	var none []string
	for _, m := range ms {
		if !m.Muted && m.Classification == ClassNoData {
			none = append(none, m.Name+": "+m.Reason)
		}
	}
	if len(none) == 0 {
		return "no metric had data to score: every metric is muted", false
	}
	return "no metric had data to score (" + strings.Join(none, "; ") + ")", false
}

func scoreReason(cfg AnalysisConfig, rep Report) string {
	var bad, crit, unscored []string
	weight := map[string]float64{}
	for _, g := range rep.Groups {
		weight[g.Name] = g.Weight
	}
	for _, m := range rep.Metrics {
		switch {
		case m.Muted || m.Classification == ClassPass:
			continue
		case m.Classification == ClassNoData:
			unscored = append(unscored, fmt.Sprintf("%s (%s)", m.Name, m.Reason))
			continue
		}
		r := fmt.Sprintf("%s %s (%s)", m.Name, m.Classification, m.Reason)
		if w, ok := weight[m.Group]; ok && w <= 0 && !m.CriticalFailure {
			r += fmt.Sprintf(" in group %s, which weighs 0", m.Group)
		}
		bad = append(bad, r)
		if m.CriticalFailure {
			crit = append(crit, m.Name)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "score %s is %s (pass >= %g, fail <= %g)", FormatScore(rep.Score), rep.Verdict, cfg.Thresholds.Pass, cfg.Thresholds.Marginal)
	if len(crit) > 0 {
		fmt.Fprintf(&b, "; critical metric %s failed", strings.Join(crit, ", "))
	}
	if rep.Verdict == ScoreMarginal {
		if rep.Final {
			b.WriteString("; the last interval must reach pass")
		} else {
			b.WriteString("; going on to the next interval")
		}
	}
	if len(bad) > 0 {
		b.WriteString("; " + strings.Join(bad, "; "))
	}
	if len(unscored) > 0 {
		b.WriteString("; not scored: " + strings.Join(unscored, "; "))
	}
	return b.String()
}

// ToVerdict turns the report into the Verdict the canary stage records: one
// Check per metric (means of baseline and canary).
func (r Report) ToVerdict() Verdict {
	v := Verdict{Outcome: r.Outcome, Score: r.Score, Reason: r.Reason}
	for _, m := range r.Metrics {
		v.Checks = append(v.Checks, Check{Metric: m.Name, Baseline: m.Baseline.Mean, Canary: m.Canary.Mean,
			Limit: m.Tolerance, Passed: m.Classification == ClassPass || m.Muted, Detail: string(m.Classification) + ": " + m.Reason})
	}
	return v
}
