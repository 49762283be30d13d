package analysis

import (
	"fmt"
	"strings"
)

// shortMetrics is how many metrics a short reason names before "+N more".
const shortMetrics = 3

// Short is the report's reason in one line, for lists, headlines and
// summary lines: what decided the interval and, per deciding metric, its
// classification and how far the canary moved ("error-rate high 0 → 22%
// (critical), latency-p99 high +38%"). Reason keeps the full account with
// every shift, interval and p-value; the analysis record holds both.
func (r Report) Short() string {
	switch r.Outcome {
	case OutcomeExtend, OutcomeInconclusive:
		if names := r.metricNames(func(m MetricResult) bool { return m.Insufficient && !m.Muted }); names != "" {
			if r.Outcome == OutcomeExtend {
				return "too little data for " + names + "; measuring longer"
			}
			return fmt.Sprintf("too little data for %s after %d extensions", names, r.Extensions)
		}
		if strings.HasPrefix(r.Reason, "nothing to score") {
			return "nothing to score: no group with data has weight"
		}
		if r.Outcome == OutcomeExtend {
			return "no metric had data to score; measuring longer"
		}
		return "no metric had data to score"
	}
	deciding := r.deciding()
	head := "score " + FormatScore(r.Score) + " (" + string(r.Verdict) + ")"
	if r.Verdict == ScoreMarginal && r.Outcome == OutcomeFail {
		head = "score " + FormatScore(r.Score) + " is marginal on the last interval"
	}
	if len(deciding) == 0 {
		return head
	}
	if r.Outcome == OutcomeFail {
		return strings.Join(deciding, ", ")
	}
	return head + ": " + strings.Join(deciding, ", ")
}

// deciding lists the unmuted metrics that were high or low, each as
// ShortMetric, at most shortMetrics and "+N more". A critical failure
// decides alone, so when there is one only critical failures are named.
func (r Report) deciding() []string {
	var crit, other []string
	for _, m := range r.Metrics {
		if m.Muted || (m.Classification != ClassHigh && m.Classification != ClassLow) {
			continue
		}
		if m.CriticalFailure {
			crit = append(crit, ShortMetric(m))
		} else {
			other = append(other, ShortMetric(m))
		}
	}
	all := append(crit, other...)
	if len(crit) > 0 && len(other) > 0 {
		all = append(crit, fmt.Sprintf("+%d more", len(other)))
	}
	if len(all) > shortMetrics {
		all = append(all[:shortMetrics], fmt.Sprintf("+%d more", len(all)-shortMetrics))
	}
	return all
}

func (r Report) metricNames(keep func(MetricResult) bool) string {
	var names []string
	for _, m := range r.Metrics {
		if keep(m) {
			names = append(names, m.Name)
		}
	}
	if len(names) > shortMetrics {
		names = append(names[:shortMetrics], fmt.Sprintf("+%d more", len(names)-shortMetrics))
	}
	return strings.Join(names, ", ")
}

// ShortMetric is one metric's classification and change in a few words:
// "latency-p99 high +38%", "error-rate high 0 → 22% (critical)". The
// change compares what the metric's test compared: the pooled quantiles
// (tail test), the shares of events (proportion test) or the means.
func ShortMetric(m MetricResult) string {
	base, can := m.Baseline.Mean, m.Canary.Mean
	switch {
	case m.Test == TestTail:
		base, can = m.Baseline.Quantile, m.Canary.Quantile
	case m.Test == TestProportion && m.Baseline.Trials > 0 && m.Canary.Trials > 0:
		base = float64(m.Baseline.Events) / float64(m.Baseline.Trials)
		can = float64(m.Canary.Events) / float64(m.Canary.Trials)
	}
	s := m.Name + " " + string(m.Classification)
	if m.Tested {
		s += " " + FormatChange(base, can, MetricUnit(m.Name, ""))
	}
	if m.CriticalFailure {
		s += " (critical)"
	}
	return s
}
