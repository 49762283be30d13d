package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// This file turns stored analysis records into what the canary analysis page
// shows. Records hold two JSON documents owned by the analysis package
// (measurements and verdict); they are read generically so that a new judge
// (per-metric statistics, classifications) shows without changes here:
//
//   - verdict "checks" or "metrics": one row per item; "metric"/"name" names
//     it, "classification" or "passed" says how it went, "baseline"/"canary"
//     are numbers or objects of statistics, every other field is shown as a
//     statistic.
//   - measurements "baseline"/"canary": objects compared field by field.
//   - "scoreThresholds" or "thresholds" {pass, marginal} in the verdict or in
//     measurements.spec draw the score plot's lines.

// analysisView is the canary analysis page.
type analysisView struct {
	Exec   execSummary
	Stages []analysisStage
}

// analysisStage is the analysis of one deploy stage: its intervals in order.
type analysisStage struct {
	Stage     string
	Intervals []intervalView
	// Decisive is the interval that decided the outcome: the first failing
	// one, else the last.
	Decisive *intervalView
	Pass     float64
	Marginal float64 // 0: none
	// ThresholdNote says where the lines come from.
	ThresholdNote string
	ScorePlot     plot
	MetricPlots   []metricPlot
}

// intervalView is one judged interval.
type intervalView struct {
	Sequence   int
	Start, End time.Time
	Outcome    string
	Score      float64
	Reason     string
	Checks     []checkView
	Compare    []compareRow
	Config     []kv
	Raw        string
}

// checkView is one check or metric of a verdict.
type checkView struct {
	Name             string
	Status           string // pass, fail, high, low, ...
	Baseline, Canary string
	Limit            string
	b, c, limit      float64
	hasValues        bool
	hasLimit         bool
	Detail           string
	Stats            []kv
}

// compareRow is one measured field, baseline vs canary.
type compareRow struct {
	Field, Baseline, Canary string
}

type kv struct{ Key, Value string }

func buildAnalysis(exec execSummary, recs []store.AnalysisRecord) analysisView {
	v := analysisView{Exec: exec}
	byStage := map[string]*analysisStage{}
	var order []string
	for _, rec := range recs {
		st := byStage[rec.Stage]
		if st == nil {
			st = &analysisStage{Stage: rec.Stage}
			byStage[rec.Stage] = st
			order = append(order, rec.Stage)
		}
		iv, thresholds := buildInterval(rec)
		st.Intervals = append(st.Intervals, iv)
		if thresholds != nil {
			st.Pass, st.Marginal = thresholds[0], thresholds[1]
			st.ThresholdNote = "pass and marginal lines as the judge reported them"
		}
	}
	for _, name := range order {
		st := byStage[name]
		if st.Pass == 0 {
			st.Pass = 100
			st.ThresholdNote = "this judge passes an interval only when every check passes (score 100)"
		}
		for i := range st.Intervals {
			if o := st.Intervals[i].Outcome; o == "fail" || o == "inconclusive" {
				st.Decisive = &st.Intervals[i]
				break
			}
		}
		if st.Decisive == nil && len(st.Intervals) > 0 {
			st.Decisive = &st.Intervals[len(st.Intervals)-1]
		}
		st.ScorePlot = scorePlot(st.Intervals, st.Pass, st.Marginal)
		st.MetricPlots = metricPlots(st.Intervals)
		v.Stages = append(v.Stages, *st)
	}
	return v
}

// buildInterval reads one record; it returns the score thresholds when the
// judge names them.
func buildInterval(rec store.AnalysisRecord) (intervalView, *[2]float64) {
	iv := intervalView{Sequence: rec.Sequence, Start: rec.StartedAt, End: rec.EndedAt, Outcome: rec.Outcome, Score: rec.Score, Reason: rec.Reason}
	verdict := decodeObject(rec.Verdict)
	meas := decodeObject(rec.Measurements)
	for _, key := range []string{"checks", "metrics"} {
		items, _ := verdict[key].([]any)
		for _, it := range items {
			if obj, ok := it.(map[string]any); ok {
				iv.Checks = append(iv.Checks, buildCheck(obj))
			}
		}
	}
	b, _ := meas["baseline"].(map[string]any)
	c, _ := meas["canary"].(map[string]any)
	iv.Compare = compare(b, c)
	if spec, ok := meas["spec"].(map[string]any); ok {
		iv.Config = flatten("", spec)
	}
	iv.Raw = "verdict: " + indentJSON(rec.Verdict) + "\nmeasurements: " + indentJSON(rec.Measurements)
	spec, _ := meas["spec"].(map[string]any)
	for _, src := range []map[string]any{verdict, spec} {
		for _, key := range []string{"scoreThresholds", "thresholds"} {
			if t, ok := src[key].(map[string]any); ok {
				pass, okP := toFloat(t["pass"])
				marginal, _ := toFloat(t["marginal"])
				if okP {
					return iv, &[2]float64{pass, marginal}
				}
			}
		}
	}
	return iv, nil
}

func decodeObject(b []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}

var checkKnown = map[string]bool{"metric": true, "name": true, "id": true, "classification": true, "passed": true,
	"baseline": true, "canary": true, "limit": true, "detail": true, "reason": true, "message": true, "result": true, "outcome": true}

func buildCheck(obj map[string]any) checkView {
	c := checkView{Name: firstString(obj, "metric", "name", "id")}
	switch {
	case firstString(obj, "classification", "result", "outcome") != "":
		c.Status = strings.ToLower(firstString(obj, "classification", "result", "outcome"))
	case obj["passed"] == true:
		c.Status = "pass"
	case obj["passed"] == false:
		c.Status = "fail"
	}
	c.Detail = firstString(obj, "detail", "reason", "message")
	var okB, okC bool
	c.b, c.Baseline, okB = representative(obj["baseline"])
	c.c, c.Canary, okC = representative(obj["canary"])
	c.hasValues = okB && okC
	if l, ok := toFloat(obj["limit"]); ok {
		c.limit, c.hasLimit, c.Limit = l, true, fmtNumber(l)
	}
	for _, side := range []string{"baseline", "canary"} {
		if m, ok := obj[side].(map[string]any); ok {
			c.Stats = append(c.Stats, flatten(side, m)...)
		}
	}
	keys := sortedKeys(obj)
	for _, k := range keys {
		if !checkKnown[k] {
			c.Stats = append(c.Stats, flattenValue(k, obj[k])...)
		}
	}
	return c
}

// representative returns a side's number: the value itself, or for an
// object of statistics its mean (or median, or value).
func representative(v any) (float64, string, bool) {
	if f, ok := toFloat(v); ok {
		return f, fmtNumber(f), true
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"mean", "median", "value", "p50"} {
			if f, ok := toFloat(m[k]); ok {
				return f, fmtNumber(f) + " (" + k + ")", true
			}
		}
	}
	if v == nil {
		return 0, "–", false
	}
	return 0, fmt.Sprint(v), false
}

func compare(b, c map[string]any) []compareRow {
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range c {
		keys[k] = true
	}
	var rows []compareRow
	for _, k := range sortedKeys(keys) {
		rows = append(rows, compareRow{Field: k, Baseline: show(b[k]), Canary: show(c[k])})
	}
	return rows
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmtNumber(v)
}

func flatten(prefix string, m map[string]any) []kv {
	var out []kv
	for _, k := range sortedKeys(m) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		out = append(out, flattenValue(key, m[k])...)
	}
	return out
}

func flattenValue(key string, v any) []kv {
	if m, ok := v.(map[string]any); ok {
		return flatten(key, m)
	}
	return []kv{{Key: key, Value: show(v)}}
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// plot is a server-rendered SVG chart in a W x H viewBox.
type plot struct {
	W, H   int
	Title  string
	Bars   []bar
	Lines  []line
	Points []point
	Path   string
	Labels []label
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type line struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type point struct {
	X, Y  float64
	Class string
	Title string
}

type label struct {
	X, Y   float64
	Text   string
	Anchor string
	Class  string
}

// metricPlot is one metric's baseline vs canary bars per interval.
type metricPlot struct {
	Name string
	Plot plot
}

const (
	plotW, plotH = 560, 200
	padL, padR   = 52, 90
	padT, padB   = 14, 28
)

func scorePlot(ivs []intervalView, pass, marginal float64) plot {
	p := plot{W: plotW, H: plotH, Title: "score per interval"}
	inner := float64(plotW - padL - padR)
	y := func(score float64) float64 { return padT + (100-score)/100*float64(plotH-padT-padB) }
	x := func(i int) float64 {
		if len(ivs) <= 1 {
			return padL + inner/2
		}
		return padL + inner*float64(i)/float64(len(ivs)-1)
	}
	p.Lines = append(p.Lines, line{X1: padL, Y1: y(0), X2: padL + inner, Y2: y(0), Class: "axis"}, line{X1: padL, Y1: y(0), X2: padL, Y2: y(100), Class: "axis"})
	p.Labels = append(p.Labels, label{X: padL - 6, Y: y(100) + 4, Text: "100", Anchor: "end"}, label{X: padL - 6, Y: y(0) + 4, Text: "0", Anchor: "end"})
	p.Lines = append(p.Lines, line{X1: padL, Y1: y(pass), X2: padL + inner, Y2: y(pass), Class: "pass-line"})
	p.Labels = append(p.Labels, label{X: padL + inner + 6, Y: y(pass) + 4, Text: "pass " + trimFloat(pass, 1), Class: "pass-label"})
	if marginal > 0 {
		p.Lines = append(p.Lines, line{X1: padL, Y1: y(marginal), X2: padL + inner, Y2: y(marginal), Class: "marginal-line"})
		p.Labels = append(p.Labels, label{X: padL + inner + 6, Y: y(marginal) + 4, Text: "marginal " + trimFloat(marginal, 1), Class: "marginal-label"})
	}
	var pts []string
	for i, iv := range ivs {
		px, py := x(i), y(iv.Score)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
		p.Points = append(p.Points, point{X: px, Y: py, Class: statusClass(iv.Outcome), Title: fmt.Sprintf("interval %d: %s, score %s", iv.Sequence, iv.Outcome, trimFloat(iv.Score, 1))})
		p.Labels = append(p.Labels, label{X: px, Y: float64(plotH - 8), Text: fmt.Sprint(iv.Sequence), Anchor: "middle"})
	}
	p.Path = strings.Join(pts, " ")
	return p
}

func metricPlots(ivs []intervalView) []metricPlot {
	var names []string
	seen := map[string]bool{}
	for _, iv := range ivs {
		for _, c := range iv.Checks {
			if c.hasValues && !seen[c.Name] {
				seen[c.Name] = true
				names = append(names, c.Name)
			}
		}
	}
	var out []metricPlot
	for _, name := range names {
		out = append(out, metricPlot{Name: name, Plot: metricPlot1(name, ivs)})
	}
	return out
}

func metricPlot1(name string, ivs []intervalView) plot {
	p := plot{W: plotW, H: plotH, Title: name + ": baseline vs canary per interval"}
	top := 0.0
	for _, iv := range ivs {
		for _, c := range iv.Checks {
			if c.Name == name && c.hasValues {
				top = max(top, c.b, c.c)
				if c.hasLimit {
					top = max(top, c.limit)
				}
			}
		}
	}
	if top <= 0 {
		top = 1
	}
	top *= 1.1
	h := float64(plotH - padT - padB)
	inner := float64(plotW - padL - padR)
	y := func(v float64) float64 { return padT + (1-v/top)*h }
	p.Lines = append(p.Lines, line{X1: padL, Y1: y(0), X2: padL + inner, Y2: y(0), Class: "axis"}, line{X1: padL, Y1: y(0), X2: padL, Y2: padT, Class: "axis"})
	p.Labels = append(p.Labels, label{X: padL - 6, Y: padT + 4, Text: fmtNumber(top), Anchor: "end"}, label{X: padL - 6, Y: y(0) + 4, Text: "0", Anchor: "end"})
	slot := inner / float64(max(len(ivs), 1))
	bw := min(slot*0.35, 40)
	for i, iv := range ivs {
		cx := padL + slot*(float64(i)+0.5)
		p.Labels = append(p.Labels, label{X: cx, Y: float64(plotH - 8), Text: fmt.Sprint(iv.Sequence), Anchor: "middle"})
		for _, c := range iv.Checks {
			if c.Name != name || !c.hasValues {
				continue
			}
			p.Bars = append(p.Bars,
				bar{X: cx - bw, Y: y(c.b), W: bw, H: y(0) - y(c.b), Class: "baseline", Title: fmt.Sprintf("interval %d baseline: %s", iv.Sequence, c.Baseline)},
				bar{X: cx, Y: y(c.c), W: bw, H: y(0) - y(c.c), Class: "canary " + statusClass(c.Status), Title: fmt.Sprintf("interval %d canary: %s (%s)", iv.Sequence, c.Canary, c.Status)})
			if c.hasLimit {
				p.Lines = append(p.Lines, line{X1: cx - bw - 4, Y1: y(c.limit), X2: cx + bw + 4, Y2: y(c.limit), Class: "limit-line"})
			}
		}
	}
	p.Labels = append(p.Labels,
		label{X: padL + inner + 10, Y: padT + 10, Text: "■ baseline", Class: "legend-baseline"},
		label{X: padL + inner + 10, Y: padT + 28, Text: "■ canary", Class: "legend-canary"},
		label{X: padL + inner + 10, Y: padT + 46, Text: "— limit", Class: "legend-limit"})
	return p
}
