package web

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// The statistical judge's records: measurements are an
// analysis.IntervalData, the verdict an analysis.Report. Each metric shows
// its key statistics, what decided its classification in words, its samples
// and the Hodges-Lehmann interval of the shift against zero and the
// tolerance.

// statRecord is one decoded interval of the statistical judge.
type statRecord struct {
	data analysis.IntervalData
	rep  analysis.Report
	cfg  analysis.AnalysisConfig // with defaults
}

// decodeStatistical reads a record of the statistical judge; ok is false
// for any other record.
func decodeStatistical(rec store.AnalysisRecord) (*statRecord, bool) {
	var probe struct {
		Judge  string          `json:"judge"`
		Config json.RawMessage `json:"config"`
	}
	if json.Unmarshal(rec.Measurements, &probe) != nil || probe.Judge != model.JudgeMannWhitney || len(probe.Config) == 0 {
		return nil, false
	}
	var sr statRecord
	if json.Unmarshal(rec.Measurements, &sr.data) != nil || json.Unmarshal(rec.Verdict, &sr.rep) != nil {
		return nil, false
	}
	sr.cfg = sr.data.Config.WithDefaults()
	return &sr, true
}

// metricView is one metric of one interval of the statistical judge.
type metricView struct {
	Name           string
	Class          string // pass, high, low, nodata
	Critical       bool
	CriticalFailed bool
	Muted          bool
	// Why says in words what decided the classification.
	Why string
	// Reason is the judge's own sentence.
	Reason string
	Tested bool
	// Key statistics.
	N, MeanBase, MeanCan      string
	Shift, ShiftCI, Tolerance string
	P, U                      string
	Effect, EffectRule        string
	// More are the other statistics and settings (behind <details>).
	More []kv

	res        analysis.MetricResult
	vf         valueFmt
	base, can  []float64
	confidence float64
	fetched    bool
}

// scoreGroupView is one metric group's part of the score.
type scoreGroupView struct {
	Name, Weight, Score string
	Passed, Scored      int
	NoData              bool
}

func fillStatistical(iv *intervalView, sr *statRecord) {
	fetched := map[string]analysis.FetchedMetric{}
	for _, f := range sr.data.Metrics {
		fetched[f.Name] = f
	}
	configs := map[string]analysis.MetricConfig{}
	for _, m := range sr.cfg.Metrics {
		configs[m.Name] = m
	}
	for _, r := range sr.rep.Metrics {
		f, ok := fetched[r.Name]
		iv.Metrics = append(iv.Metrics, buildMetric(r, configs[r.Name], f, ok, sr.cfg.ConfidenceLevel))
	}
	for _, g := range sr.rep.Groups {
		iv.Groups = append(iv.Groups, scoreGroupView{Name: g.Name, Weight: trimFloat(g.Weight, 1), Score: trimFloat(g.Score, 1), Passed: g.Passed, Scored: g.Scored, NoData: g.NoData})
	}
	iv.Headline = headline(iv, sr)
	iv.Config = configRows(sr.cfg)
	t := sr.cfg.Thresholds
	iv.thresholds = &[2]float64{t.Pass, t.Marginal}
	iv.note = fmt.Sprintf("the score is the groups' weighted share of passing metrics (a failed critical metric makes it 0); "+
		"at or above %s the interval passes, at or below %s the analysis fails at once, in between (marginal) it goes on and fails only on the last interval",
		trimFloat(t.Pass, 1), trimFloat(t.Marginal, 1))
}

// headline says in one or two short sentences how the interval was
// decided: the score against the thresholds and the metrics that failed.
func headline(iv *intervalView, sr *statRecord) string {
	t := sr.cfg.Thresholds
	score := trimFloat(sr.rep.Score, 2) // scores are compared at two decimals
	var s string
	switch sr.rep.Verdict {
	case analysis.ScorePass:
		s = fmt.Sprintf("Score %s is at or above the pass line %s: pass.", score, trimFloat(t.Pass, 1))
	case analysis.ScoreFail:
		s = fmt.Sprintf("Score %s is at or below the marginal line %s: fail.", score, trimFloat(t.Marginal, 1))
	case analysis.ScoreMarginal:
		s = fmt.Sprintf("Score %s is between the marginal line %s and the pass line %s: marginal, ", score, trimFloat(t.Marginal, 1), trimFloat(t.Pass, 1))
		if iv.Outcome == string(analysis.OutcomeFail) {
			s += "and this was the last interval: fail."
		} else {
			s += "so the analysis goes on."
		}
	default:
		return iv.Reason
	}
	var failed []string
	for _, m := range iv.Metrics {
		if m.Muted || (m.Class != string(analysis.ClassHigh) && m.Class != string(analysis.ClassLow)) {
			continue
		}
		f := m.Name + " " + m.Class
		if m.CriticalFailed {
			f += " (critical: the score is 0)"
		}
		failed = append(failed, f)
	}
	if len(failed) > 0 {
		s += " Failed: " + strings.Join(failed, ", ") + "."
	}
	return s
}

// configRows is the judge's configuration with its defaults, as key-value rows.
func configRows(cfg analysis.AnalysisConfig) []kv {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil
	}
	return flatten("", decodeObject(b))
}

func buildMetric(r analysis.MetricResult, m analysis.MetricConfig, f analysis.FetchedMetric, fetched bool, confidence float64) metricView {
	mv := metricView{Name: r.Name, Class: string(r.Classification), Critical: r.Critical, CriticalFailed: r.CriticalFailure, Muted: r.Muted,
		Reason: r.Reason, Tested: r.Tested, res: r, base: f.Baseline, can: f.Canary, confidence: confidence, fetched: fetched}
	if r.ConfidenceLevel > 0 {
		mv.confidence = r.ConfidenceLevel
	}
	vf := metricFmt(r, m.Query)
	mv.vf = vf
	mv.Why = explain(r, m, vf)
	mv.N = fmt.Sprintf("%d / %d", r.Baseline.Count, r.Canary.Count)
	if r.Baseline.Count > 0 {
		mv.MeanBase = vf.of(r.Baseline.Mean)
	}
	if r.Canary.Count > 0 {
		mv.MeanCan = vf.of(r.Canary.Mean)
	}
	if r.Tested {
		mv.Shift = vf.of(r.Estimate)
		mv.ShiftCI = fmt.Sprintf("%s interval %s", pctOf(mv.confidence), vf.interval(r.Low, r.High))
		mv.Tolerance = "± " + vf.of(r.Tolerance)
		if r.Tolerance == 0 {
			mv.Tolerance = "none (± 0)"
		}
		mv.P = fmtNumber(r.P)
		mv.U = fmtNumber(r.U)
		switch r.Test {
		case analysis.TestProportion: // counts: no U; the shift is the difference of the shares
			mv.U = fmt.Sprintf("%d/%d vs %d/%d", r.Canary.Events, r.Canary.Trials, r.Baseline.Events, r.Baseline.Trials)
		case analysis.TestTail: // requests above the threshold; the effect is the pooled quantiles' ratio
			mv.U = fmt.Sprintf("tail >%s: %d/%d vs %d/%d", analysis.FormatLatency(r.Threshold), r.Canary.Events, r.Canary.Trials, r.Baseline.Events, r.Baseline.Trials)
		}
	}
	if r.Tested || r.EffectSize != 0 {
		mv.Effect = fmtNumber(r.EffectSize)
	}
	mv.EffectRule = effectRule(m)
	mv.More = moreStats(r, m, f, vf)
	return mv
}

func pctOf(f float64) string { return trimFloat(100*f, 1) + "%" }

// measureName is an effect measure in words.
func measureName(e analysis.EffectMeasure) string {
	if e == analysis.EffectCLES {
		return "P(canary > baseline)"
	}
	return "mean ratio canary ÷ baseline"
}

// effectRule says which effect sizes pass, e.g. "mean ratio; allowed ≤ 1.2".
func effectRule(m analysis.MetricConfig) string {
	e := m.EffectSize
	short := "mean ratio"
	if e.Measure == analysis.EffectCLES {
		short = "P(canary > baseline)"
	}
	switch m.Direction {
	case analysis.DirectionIncrease:
		return fmt.Sprintf("%s; allowed ≤ %s", short, fmtNumber(e.AllowedIncrease))
	case analysis.DirectionDecrease:
		return fmt.Sprintf("%s; allowed ≥ %s", short, fmtNumber(e.AllowedDecrease))
	}
	return fmt.Sprintf("%s; allowed %s to %s", short, fmtNumber(e.AllowedDecrease), fmtNumber(e.AllowedIncrease))
}

// explain says in words why a metric got its classification. It follows
// the judge's rule (analysis.ClassifyMetric): the interval of the shift must
// clear zero by the tolerance in a direction that counts, and the effect
// size must exceed the allowed one.
func explain(r analysis.MetricResult, m analysis.MetricConfig, vf valueFmt) string {
	var s string
	switch {
	case r.Classification == analysis.ClassNoData:
		s = "No verdict: " + r.Reason + "."
		if r.Insufficient {
			s += " Too little data extends the interval, and makes it inconclusive when no extension is left."
		}
	case !r.Tested:
		s = "Pass: " + r.Reason + "."
	default:
		s = explainTested(r, m, vf) + explainEffect(r, m)
	}
	switch {
	case r.CriticalFailure:
		s += " It is critical, so the interval scores 0."
	case r.Muted:
		s += " It is muted: shown, but left out of the score."
	}
	return s
}

func explainTested(r analysis.MetricResult, m analysis.MetricConfig, vf valueFmt) string {
	if r.Test == analysis.TestTail { // the judge's reason names the threshold, the counts and the pooled quantiles
		verdict := "Pass"
		switch r.Classification {
		case analysis.ClassHigh:
			verdict = "High"
		case analysis.ClassLow:
			verdict = "Low"
		}
		return verdict + ": " + r.Reason + "."
	}
	e := m.EffectSize
	ci := fmt.Sprintf("the %s interval of the shift canary − baseline is %s", pctOf(r.ConfidenceLevel), vf.interval(r.Low, r.High))
	tol := "zero"
	if r.Tolerance > 0 {
		tol = "the tolerance ±" + vf.of(r.Tolerance)
	}
	effect := fmt.Sprintf("the %s is %s", measureName(r.EffectMeasure), fmtNumber(r.EffectSize))
	up := m.Direction == analysis.DirectionIncrease || m.Direction == analysis.DirectionEither
	down := m.Direction == analysis.DirectionDecrease || m.Direction == analysis.DirectionEither
	switch {
	case r.Classification == analysis.ClassHigh:
		return fmt.Sprintf("High: %s, all above %s (p = %s), and %s, more than the allowed %s.", ci, tol, fmtNumber(r.P), effect, fmtNumber(e.AllowedIncrease))
	case r.Classification == analysis.ClassLow:
		return fmt.Sprintf("Low: %s, all below −%s (p = %s), and %s, less than the allowed %s.", ci, strings.TrimPrefix(tol, "the tolerance ±"), fmtNumber(r.P), effect, fmtNumber(e.AllowedDecrease))
	case up && r.Low > r.Tolerance:
		return fmt.Sprintf("Pass: %s, above %s, but %s, within the allowed %s.", ci, tol, effect, fmtNumber(e.AllowedIncrease))
	case down && r.High < -r.Tolerance:
		return fmt.Sprintf("Pass: %s, below −%s, but %s, within the allowed %s.", ci, strings.TrimPrefix(tol, "the tolerance ±"), effect, fmtNumber(e.AllowedDecrease))
	case up && r.Low > 0, down && r.High < 0:
		return fmt.Sprintf("Pass: %s; it excludes zero but not %s: a difference too small to count.", ci, tol)
	case r.Low > 0:
		return fmt.Sprintf("Pass: %s, higher, but only a decrease counts for this metric.", ci)
	case r.High < 0:
		return fmt.Sprintf("Pass: %s, lower, but only an increase counts for this metric.", ci)
	}
	return fmt.Sprintf("Pass: %s, which includes zero: no significant difference (p = %s).", ci, fmtNumber(r.P))
}

// explainEffect says what the effect size, its allowance and the test's
// power meant for this verdict, so that an effect beyond the allowance on a
// passing metric, or a low power, does not read as a contradiction.
func explainEffect(r analysis.MetricResult, m analysis.MetricConfig) string {
	if !r.Tested || r.Test == analysis.TestTail {
		return ""
	}
	e := m.EffectSize
	up := m.Direction == analysis.DirectionIncrease || m.Direction == analysis.DirectionEither
	down := m.Direction == analysis.DirectionDecrease || m.Direction == analysis.DirectionEither
	beyond := up && e.AllowedIncrease > 0 && r.EffectSize > e.AllowedIncrease || down && r.EffectSize < e.AllowedDecrease
	var s string
	if r.Classification == analysis.ClassPass && beyond {
		s = fmt.Sprintf(" The effect size (%s %s) is beyond what is allowed, but it counts only once the shift is significant and clears the tolerance, which it did not: the allowance spares small significant changes, it does not fail changes the test cannot tell from noise.",
			measureName(r.EffectMeasure), fmtNumber(r.EffectSize))
	}
	if r.Classification == analysis.ClassPass && r.Power > 0 && r.Power < 0.8 {
		s += fmt.Sprintf(" The test's power was %s: the chance, with this many samples this noisy, of noticing a change as large as the allowed one. A pass at low power is weak evidence; more traffic, a longer interval or a higher minSamples raise it.",
			powerWords(r.Power))
	}
	return s
}

// powerWords is a test's power as a percentage.
func powerWords(p float64) string { return analysis.FormatSig(100*p, 2) + "%" }

// moreStats are the statistics and settings behind a metric's <details>.
func moreStats(r analysis.MetricResult, m analysis.MetricConfig, f analysis.FetchedMetric, vf valueFmt) []kv {
	out := []kv{
		{"group", r.Group},
		{"direction", string(m.Direction)},
		{"critical", fmt.Sprint(r.Critical)},
		{"muted", fmt.Sprint(r.Muted)},
	}
	for _, side := range []struct {
		name string
		s    analysis.SampleSummary
	}{{"baseline", r.Baseline}, {"canary", r.Canary}} {
		out = append(out,
			kv{side.name + " median", vf.of(side.s.Median)},
			kv{side.name + " std dev", vf.of(side.s.StdDev)},
			kv{side.name + " NaN samples", fmt.Sprint(side.s.NaN)},
			kv{side.name + " outliers removed", fmt.Sprint(side.s.Outliers)})
	}
	if r.Test == analysis.TestTail {
		out = append(out,
			kv{"test", fmt.Sprintf("tail: requests above %s (the pooled p%s)", analysis.FormatLatency(r.Threshold), analysis.FormatQuantile(analysis.TailQuantile(r.Quantile)))},
			kv{"baseline p" + analysis.FormatQuantile(r.Quantile) + " (all requests)", analysis.FormatLatency(r.Baseline.Quantile)},
			kv{"canary p" + analysis.FormatQuantile(r.Quantile) + " (all requests)", analysis.FormatLatency(r.Canary.Quantile)})
	}
	if r.Tested {
		out = append(out,
			kv{"exact p-value", fmt.Sprint(r.Exact)},
			kv{"confidence level", pctOf(r.ConfidenceLevel)},
			kv{"tolerance", vf.of(r.Tolerance)},
			kv{"power", powerWords(r.Power)})
	}
	out = append(out, kv{"effect measure", string(r.EffectMeasure)}, kv{"NaN strategy", string(m.NaNStrategy)})
	if f.Source != "" {
		out = append(out, kv{"source", f.Source})
	}
	if f.BaselineQuery != "" {
		out = append(out, kv{"baseline query", f.BaselineQuery}, kv{"canary query", f.CanaryQuery})
	}
	if f.Error != "" {
		out = append(out, kv{"source error", f.Error})
	}
	return out
}

// metricFigure is one metric's plots over a stage's intervals, with what
// decided the deciding interval.
type metricFigure struct {
	Name     string
	ID       string
	Class    string
	Critical bool
	Sequence int
	// Numbers are the deciding interval's key numbers in one line.
	Numbers string
	Dist    plot
	Shift   plot
}

// metricFigures draws every metric of the statistical judge's intervals,
// the ones that failed the deciding interval first.
func metricFigures(id string, ivs []intervalView, decisive *intervalView) []metricFigure {
	var names []string
	seen := map[string]bool{}
	for _, iv := range ivs {
		for _, m := range iv.Metrics {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	var out []metricFigure
	for _, name := range names {
		base := id + "-" + domID(name)
		f := metricFigure{Name: name, ID: base}
		if decisive != nil {
			for _, m := range decisive.Metrics {
				if m.Name == name {
					f.Class, f.Critical, f.Sequence, f.Numbers = m.Class, m.Critical, decisive.Sequence, m.numbers()
				}
			}
		}
		f.Dist = distPlot(base+"-samples", name, ivs)
		f.Shift = shiftPlot(base+"-shift", name, ivs)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b metricFigure) int { return figureRank(a) - figureRank(b) })
	return out
}

func figureRank(f metricFigure) int {
	switch {
	case f.Critical && (f.Class == "high" || f.Class == "low" || f.Class == "nodata"):
		return 0
	case f.Class == "high" || f.Class == "low":
		return 1
	case f.Class == "nodata":
		return 2
	}
	return 3
}

// numbers are a metric's key numbers in one line: the means, the shift
// against the tolerance, the effect against the allowed one.
func (m metricView) numbers() string {
	if !m.Tested {
		return m.Reason
	}
	return fmt.Sprintf("mean %s → %s; shift %s, %s, tolerance %s; effect %s (%s)",
		m.MeanBase, m.MeanCan, m.Shift, m.ShiftCI, m.Tolerance, m.Effect, m.EffectRule)
}

// finite drops NaN and infinite samples.
func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}
