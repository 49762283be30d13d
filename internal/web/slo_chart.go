package web

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
)

// timeSeries is one line of a chart over time: values at times, in the
// chart's unit (fractions for percent axes, plain numbers for rates).
type timeSeries struct {
	Name, Class string
	T           []time.Time
	V           []float64
}

// timeMarker is a vertical line at a time (a deploy), labelled.
type timeMarker struct {
	T            time.Time
	Label, Class string
	Title        string
}

// hRule is a horizontal line at a value (a burn-rate factor, zero budget).
type hRule struct {
	V            float64
	Label, Class string
}

// timeChartSpec is what a chart over a time range shows.
type timeChartSpec struct {
	ID, Title string
	// YTitle names the value axis; Unit's name is added.
	YTitle string
	Unit   axisUnit
	// XTitle names the time axis (default "time, UTC").
	XTitle   string
	From, To time.Time
	Series   []timeSeries
	Markers  []timeMarker
	Rules    []hRule
	// YMin and YMax are values the axis must reach (besides the data's).
	YMin, YMax float64
	// Value writes one value for titles and the description.
	Value func(float64) string
	Empty string
}

// Geometry of the SLO charts (the KPI charts' size, a taller top margin
// for the deploy labels).
const (
	sloW, sloH       = 600, 260
	sloPadL, sloPadR = 58, 20
	sloPadT, sloPadB = 40, 46
	sloMarkerLabelPx = 44 // the least room between two labelled markers
)

// buildTimeChart lays out spec: a pure function of its data. The value
// axis spans YMin..YMax and the data at round ticks (below zero too, for
// an overspent budget); markers are thin rects with titles, labelled
// while labels do not overlap.
func buildTimeChart(s timeChartSpec) chart {
	c := chart{ID: s.ID, W: sloW, H: sloH, Title: s.Title}
	unit := s.Unit
	if unit.Div == 0 {
		unit = countUnit
	}
	lo, hi := math.Min(0, s.YMin), s.YMax
	for _, se := range s.Series {
		for _, v := range se.V {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, r := range s.Rules {
		lo, hi = math.Min(lo, r.V), math.Max(hi, r.V)
	}
	ticks := rangeTicks(lo/unit.Div, hi/unit.Div, 5)
	yLo, yHi := ticks[0]*unit.Div, ticks[len(ticks)-1]*unit.Div
	x0, x1 := float64(sloPadL), float64(sloW-sloPadR)
	bottom := float64(sloH - sloPadB)
	y := linScale{D0: yLo, D1: yHi, R0: bottom, R1: sloPadT}
	span := s.To.Sub(s.From)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) float64 {
		f := float64(t.Sub(s.From)) / float64(span)
		return x0 + math.Max(0, math.Min(1, f))*(x1-x0)
	}
	for _, t := range ticks {
		py := y.at(t * unit.Div)
		cls := "grid"
		if t == 0 && yLo < 0 {
			cls = "axis"
		}
		c.Grid = append(c.Grid, line{X1: x0, Y1: py, X2: x1, Y2: py, Class: cls})
		c.Labels = append(c.Labels, label{X: x0 - 6, Y: py + 4, Text: unit.tick(t * unit.Div), Anchor: "end"})
	}
	c.Grid = append(c.Grid, line{X1: x0, Y1: bottom, X2: x1, Y2: bottom, Class: "axis"}, line{X1: x0, Y1: bottom, X2: x0, Y2: sloPadT - 4, Class: "axis"})
	yTitle := s.YTitle
	if unit.Name != "" {
		yTitle += " (" + unit.Name + ")"
	}
	c.Labels = append(c.Labels, label{X: 4, Y: 14, Text: yTitle, Class: "axis-title"})
	for _, t := range timeTicks(s.From, s.To, 5) {
		c.Grid = append(c.Grid, line{X1: x(t), Y1: bottom, X2: x(t), Y2: bottom + 4, Class: "axis"})
		c.Labels = append(c.Labels, label{X: x(t), Y: bottom + 18, Text: timeTickLabel(t, span), Anchor: "middle"})
	}
	xt := s.XTitle
	if xt == "" {
		xt = "time, UTC"
	}
	c.Labels = append(c.Labels, label{X: (x0 + x1) / 2, Y: sloH - 6, Text: xt, Anchor: "middle", Class: "axis-title"})
	for _, r := range s.Rules {
		py := y.at(r.V)
		c.Grid = append(c.Grid, line{X1: x0, Y1: py, X2: x1, Y2: py, Class: r.Class})
		if r.Label != "" {
			c.Labels = append(c.Labels, label{X: x1 - 2, Y: py - 4, Text: r.Label, Anchor: "end", Class: "rule-label"})
		}
	}
	lastLabel := math.Inf(-1)
	for _, m := range s.Markers {
		px := x(m.T)
		c.Bars = append(c.Bars, bar{X: px - 0.75, Y: sloPadT - 6, W: 1.5, H: bottom - sloPadT + 6, Class: "marker " + m.Class, Title: m.Title})
		if m.Label != "" && px-lastLabel >= sloMarkerLabelPx {
			c.Labels = append(c.Labels, label{X: px, Y: sloPadT - 10, Text: m.Label, Anchor: "middle", Class: "marker-label"})
			lastLabel = px
		}
	}
	value := s.Value
	if value == nil {
		value = func(v float64) string { return unit.tick(v) }
	}
	hasData := false
	for _, se := range s.Series {
		pts := make([]string, 0, len(se.V))
		for i, v := range se.V {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(se.T[i]), y.at(v)))
		}
		if len(pts) == 1 {
			c.Points = append(c.Points, point{X: x(se.T[0]), Y: y.at(se.V[0]), Class: se.Class, Title: se.T[0].UTC().Format("2006-01-02 15:04") + ": " + value(se.V[0])})
		}
		if len(pts) > 0 {
			hasData = true
			c.Lines = append(c.Lines, polyline{Points: strings.Join(pts, " "), Class: "series " + se.Class})
			c.Legend = append(c.Legend, legendItem{Class: se.Class, Text: se.Name})
		}
	}
	if !hasData {
		note := s.Empty
		if note == "" {
			note = "no evaluations in this window yet"
		}
		c.Labels = append(c.Labels, label{X: (x0 + x1) / 2, Y: (sloPadT + bottom) / 2, Text: note, Anchor: "middle", Class: "note"})
	}
	if len(s.Markers) > 0 {
		c.Legend = append(c.Legend, legendItem{Class: "marker", Text: "vertical lines: deploys (labelled with the version) and rollbacks"})
	}
	c.Desc = s.describe(value)
	c.round()
	return c
}

// describe says what the chart shows, for screen readers.
func (s timeChartSpec) describe(value func(float64) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s to %s UTC.", s.Title, s.From.UTC().Format("2006-01-02 15:04"), s.To.UTC().Format("2006-01-02 15:04"))
	for _, se := range s.Series {
		if len(se.V) == 0 {
			fmt.Fprintf(&b, " %s: no data.", se.Name)
			continue
		}
		lo, hi := se.V[0], se.V[0]
		for _, v := range se.V {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		fmt.Fprintf(&b, " %s: latest %s, highest %s, lowest %s.", se.Name, value(se.V[len(se.V)-1]), value(hi), value(lo))
	}
	for _, r := range s.Rules {
		if r.Label != "" {
			fmt.Fprintf(&b, " Line: %s.", r.Label)
		}
	}
	if n := len(s.Markers); n > 0 {
		fmt.Fprintf(&b, " %d deploys marked.", n)
	}
	return b.String()
}

// rangeTicks are about n round ticks covering [lo, hi] (display units),
// 0 among them when the range crosses it; [0, 1] for an empty range.
func rangeTicks(lo, hi float64, n int) []float64 {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / float64(max(n, 1)))
	first, last := math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
	ticks := make([]float64, 0, int(last-first)+1)
	for k := first; k <= last; k++ {
		if k < 0 {
			ticks = append(ticks, -multiple(-k, step))
		} else {
			ticks = append(ticks, multiple(k, step))
		}
	}
	return ticks
}

// timeTicks are about n round times in [from, to]: whole days (UTC
// midnights) for ranges over two days, else whole hours.
func timeTicks(from, to time.Time, n int) []time.Time {
	span := to.Sub(from)
	if span <= 0 {
		return nil
	}
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
		24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour, 91 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= time.Duration(n) {
			step = s
			break
		}
	}
	var out []time.Time
	for t := from.UTC().Truncate(step); !t.After(to); t = t.Add(step) {
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out
}

// timeTickLabel writes a tick: a date for ranges over two days, else a
// time of day.
func timeTickLabel(t time.Time, span time.Duration) string {
	if span > 48*time.Hour {
		return t.UTC().Format("Jan 2")
	}
	return t.UTC().Format("15:04")
}

// rateUnit is a burn rate's axis: times the sustainable rate.
var rateUnit = axisUnit{Div: 1, Suffix: "×", Name: "× sustainable"}

// fmtBurn writes a burn rate: 14.4×.
func fmtBurn(v float64) string { return analysis.FormatSig(v, 3) + "×" }

// sparkline is a small line of a budget over the window, for lists: the
// budget left from 100% down (and below 0 when overspent).
type sparkline struct {
	W, H   int
	Points string
	Zero   float64 // the y of 0% budget
	Label  string
}

const sparkW, sparkH = 120, 28

// buildSparkline lays out values (fractions of the budget left) evenly.
func buildSparkline(vals []float64, label string) sparkline {
	sp := sparkline{W: sparkW, H: sparkH, Label: label}
	lo, hi := 0.0, 1.0
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	y := linScale{D0: lo, D1: hi, R0: sparkH - 2, R1: 2}
	sp.Zero = math.Round(y.at(0)*10) / 10
	pts := make([]string, 0, len(vals))
	for i, v := range vals {
		px := 1.0
		if len(vals) > 1 {
			px = 1 + float64(i)*float64(sparkW-2)/float64(len(vals)-1)
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, y.at(v)))
	}
	sp.Points = strings.Join(pts, " ")
	return sp
}

// shortDur writes an alert window as people write it: 5m, 1h, 3d.
func shortDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
