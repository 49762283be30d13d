package web

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Records of the threshold judge, and of any judge this package does not
// know, are read generically (see analysis_view.go).

// checkView is one check or metric of a generic verdict.
type checkView struct {
	Name             string
	Status           string // pass, fail, high, low, ...
	Baseline, Canary string
	Limit            string
	b, c, limit      float64
	hasValues        bool
	hasLimit         bool
	Detail           string
	// Stats are the first few statistics; More the rest (behind <details>).
	Stats, More []kv
}

// keyStats is how many statistics of a generic check show before the rest
// folds away.
const keyStats = 6

// compareRow is one measured field, baseline vs canary.
type compareRow struct {
	Field, Baseline, Canary string
}

func fillGeneric(iv *intervalView, verdict, meas map[string]any) {
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
	for _, key := range []string{"spec", "config"} {
		if cfg, ok := meas[key].(map[string]any); ok {
			iv.Config = flatten("", cfg)
			break
		}
	}
	if t := thresholdsIn(verdict, meas); t != nil {
		iv.thresholds = t
		iv.note = "pass and marginal lines as the judge reported them"
	}
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
	var stats []kv
	for _, side := range []string{"baseline", "canary"} {
		if m, ok := obj[side].(map[string]any); ok {
			stats = append(stats, flatten(side, m)...)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !checkKnown[k] {
			stats = append(stats, flattenValue(k, obj[k])...)
		}
	}
	if len(stats) > keyStats {
		c.Stats, c.More = stats[:keyStats], stats[keyStats:]
	} else {
		c.Stats = stats
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
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		rows = append(rows, compareRow{Field: k, Baseline: show(b[k]), Canary: show(c[k])})
	}
	return rows
}

// metricPlot is one generic check's baseline vs canary bars per interval.
type metricPlot struct {
	Name string
	Plot plot
}

// metricPlots draws the generic checks that have numbers; it reports
// whether any has a limit.
func metricPlots(id string, ivs []intervalView) ([]metricPlot, bool) {
	var names []string
	seen := map[string]bool{}
	hasLimit := false
	for _, iv := range ivs {
		for _, c := range iv.Checks {
			hasLimit = hasLimit || c.hasLimit
			if c.hasValues && !seen[c.Name] {
				seen[c.Name] = true
				names = append(names, c.Name)
			}
		}
	}
	var out []metricPlot
	for _, name := range names {
		out = append(out, metricPlot{Name: name, Plot: barPlot(id+"-"+domID(name), name, ivs)})
	}
	return out, hasLimit
}

func barPlot(id, name string, ivs []intervalView) plot {
	p := plot{ID: id, W: plotW, H: plotH, Title: name + ": baseline vs canary per interval"}
	top, limits := 0.0, false
	var desc []string
	for _, iv := range ivs {
		for _, c := range iv.Checks {
			if c.Name == name && c.hasValues {
				top = max(top, c.b, c.c)
				d := fmt.Sprintf("interval %d: baseline %s, canary %s", iv.Sequence, c.Baseline, c.Canary)
				if c.hasLimit {
					top = max(top, c.limit)
					limits = true
					d += ", limit " + c.Limit
				}
				desc = append(desc, d+" ("+c.Status+")")
			}
		}
	}
	p.Desc = strings.Join(desc, "; ")
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
				bar{X: cx - bw, Y: y(c.b), W: bw, H: y(0) - y(c.b), Class: "bar baseline", Title: fmt.Sprintf("interval %d baseline: %s", iv.Sequence, c.Baseline)},
				bar{X: cx, Y: y(c.c), W: bw, H: y(0) - y(c.c), Class: "bar canary " + statusClass(c.Status), Title: fmt.Sprintf("interval %d canary: %s (%s)", iv.Sequence, c.Canary, c.Status)})
			if c.hasLimit {
				p.Lines = append(p.Lines, line{X1: cx - bw - 4, Y1: y(c.limit), X2: cx + bw + 4, Y2: y(c.limit), Class: "limit-line"})
			}
		}
	}
	p.Labels = append(p.Labels,
		label{X: padL + inner + 10, Y: padT + 10, Text: "■ baseline", Class: "legend-baseline"},
		label{X: padL + inner + 10, Y: padT + 28, Text: "■ canary", Class: "legend-canary"})
	if limits {
		p.Labels = append(p.Labels, label{X: padL + inner + 10, Y: padT + 46, Text: "— limit", Class: "legend-limit"})
	}
	return p
}
