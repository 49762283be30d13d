package web

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/analysis"
)

// plot is a server-rendered SVG chart in a W x H viewBox. Title names it
// and Desc says in words what it shows, for screen readers (the SVG is one
// image to them); the titles of its parts show on hover.
type plot struct {
	ID     string
	W, H   int
	Title  string
	Desc   string
	Bars   []bar
	Lines  []line
	Dots   []dot
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

// dot is a small mark without a title (one sample).
type dot struct {
	X, Y, R float64
	Class   string
}

// point is a marked value with a title.
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

// round keeps one decimal of every coordinate, so the SVG stays small.
func (p *plot) round() {
	var fs []*float64
	for i := range p.Bars {
		b := &p.Bars[i]
		fs = append(fs, &b.X, &b.Y, &b.W, &b.H)
	}
	for i := range p.Lines {
		l := &p.Lines[i]
		fs = append(fs, &l.X1, &l.Y1, &l.X2, &l.Y2)
	}
	for i := range p.Dots {
		fs = append(fs, &p.Dots[i].X, &p.Dots[i].Y)
	}
	for i := range p.Points {
		fs = append(fs, &p.Points[i].X, &p.Points[i].Y)
	}
	for i := range p.Labels {
		fs = append(fs, &p.Labels[i].X, &p.Labels[i].Y)
	}
	for _, f := range fs {
		*f = math.Round(*f*10) / 10
	}
}

const (
	plotW, plotH = 560, 200
	padL, padR   = 52, 90
	padT, padB   = 14, 28
)

func scorePlot(id string, ivs []intervalView, pass, marginal float64) plot {
	p := plot{ID: id, W: plotW, H: plotH, Title: "score per interval"}
	inner := float64(plotW - padL - padR)
	y := func(score float64) float64 { return padT + (100-score)/100*float64(plotH-padT-padB) }
	x := func(i int) float64 {
		if len(ivs) <= 1 {
			return padL + inner/2
		}
		return padL + inner*float64(i)/float64(len(ivs)-1)
	}
	p.Lines = append(p.Lines, line{X1: padL, Y1: y(0), X2: padL + inner, Y2: y(0), Class: "axis"}, line{X1: padL, Y1: y(0), X2: padL, Y2: y(100), Class: "axis"})
	p.Labels = append(p.Labels, label{X: padL - 6, Y: y(100) + 4, Text: "100", Anchor: "end"}, label{X: padL - 6, Y: y(0) + 4, Text: "0", Anchor: "end"},
		label{X: padL + inner/2, Y: float64(plotH - 1), Text: "interval", Anchor: "middle", Class: "axis-title"},
		label{X: padL - 6, Y: y(50) + 4, Text: "score", Anchor: "end", Class: "axis-title"})
	p.Lines = append(p.Lines, line{X1: padL, Y1: y(pass), X2: padL + inner, Y2: y(pass), Class: "pass-line"})
	p.Labels = append(p.Labels, label{X: padL + inner + 6, Y: y(pass) + 4, Text: "pass " + trimFloat(pass, 1), Class: "pass-label"})
	desc := []string{"pass line at " + trimFloat(pass, 1)}
	if marginal > 0 {
		p.Lines = append(p.Lines, line{X1: padL, Y1: y(marginal), X2: padL + inner, Y2: y(marginal), Class: "marginal-line"})
		p.Labels = append(p.Labels, label{X: padL + inner + 6, Y: y(marginal) + 4, Text: "marginal " + trimFloat(marginal, 1), Class: "marginal-label"})
		desc = append(desc, "marginal line at "+trimFloat(marginal, 1))
	}
	var pts []string
	for i, iv := range ivs {
		px, py := x(i), y(iv.Score)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
		t := fmt.Sprintf("interval %d: %s, score %s", iv.Sequence, iv.Outcome, trimFloat(iv.Score, 2))
		p.Points = append(p.Points, point{X: px, Y: py, Class: statusClass(iv.Outcome), Title: t})
		p.Labels = append(p.Labels, label{X: px, Y: float64(plotH - 14), Text: fmt.Sprint(iv.Sequence), Anchor: "middle"})
		desc = append(desc, t)
	}
	p.Path = strings.Join(pts, " ")
	p.Desc = strings.Join(desc, "; ") + "."
	p.round()
	return p
}

// Geometry of the per-metric plots: a label column on the left, one row
// per interval and side, the value axis at the bottom.
const (
	rowL, rowR  = 112, 30
	rowT        = 10
	rowH        = 22
	rowGap      = 8
	rowAxis     = 44
	maxDots     = 400
	figureWidth = 560
)

// distPlot is a strip plot of one metric's samples, baseline and canary, per
// interval: every sample a dot, the middle half a box, the median a line.
func distPlot(id, name string, ivs []intervalView) plot {
	type row struct {
		seq       int
		side, cls string
		xs        []float64
		missing   int
		first     bool
		noSamples string
	}
	var rows []row
	var all []float64
	var desc []string
	for _, iv := range ivs {
		for _, m := range iv.Metrics {
			if m.Name != name {
				continue
			}
			b, c := finite(m.base), finite(m.can)
			all = append(append(all, b...), c...)
			no := ""
			if !m.fetched || (len(m.base) == 0 && len(m.can) == 0) {
				no = "no samples"
				if m.res.Reason != "" {
					no += ": " + m.res.Reason
				}
			}
			rows = append(rows,
				row{seq: iv.Sequence, side: "baseline", cls: "baseline", xs: b, missing: len(m.base) - len(b), first: true, noSamples: no},
				row{seq: iv.Sequence, side: "canary", cls: "canary " + statusClass(m.Class), xs: c, missing: len(m.can) - len(c)})
			desc = append(desc, fmt.Sprintf("interval %d: baseline %s; canary %s; %s", iv.Sequence, summary(b), summary(c), m.Class))
		}
	}
	groups := 0
	for _, r := range rows {
		if r.first {
			groups++
		}
	}
	h := rowT + len(rows)*rowH + max(groups-1, 0)*rowGap + rowAxis
	p := plot{ID: id, W: figureWidth, H: h, Title: name + ": samples of baseline and canary per interval", Desc: strings.Join(desc, ". ") + "."}
	if len(all) == 0 {
		p.H = 40
		p.Labels = append(p.Labels, label{X: 8, Y: 24, Text: "no samples were recorded for " + name, Class: "note"})
		return p
	}
	lo, hi := slices.Min(all), slices.Max(all)
	ticks, lo, hi := niceScale(lo, hi, 5, true)
	inner := float64(figureWidth - rowL - rowR)
	x := func(v float64) float64 { return rowL + (v-lo)/(hi-lo)*inner }
	bottom := float64(h - rowAxis + 4)
	vf := plotFmt(name, ivs, hi-lo)
	for _, t := range ticks {
		p.Lines = append(p.Lines, line{X1: x(t), Y1: rowT - 4, X2: x(t), Y2: bottom, Class: "grid"})
		p.Labels = append(p.Labels, label{X: x(t), Y: bottom + 16, Text: vf.of(t), Anchor: "middle"})
	}
	p.Lines = append(p.Lines, line{X1: rowL, Y1: bottom, X2: rowL + inner, Y2: bottom, Class: "axis"})
	p.Labels = append(p.Labels, label{X: rowL + inner/2, Y: bottom + 33, Text: name + unitTitle(vf.unit), Anchor: "middle", Class: "axis-title"})
	y := float64(rowT)
	for i, r := range rows {
		if r.first && i > 0 {
			p.Lines = append(p.Lines, line{X1: 4, Y1: y + rowGap/2, X2: rowL + inner, Y2: y + rowGap/2, Class: "separator"})
			y += rowGap
		}
		cy := y + rowH/2
		if r.first {
			p.Labels = append(p.Labels, label{X: 6, Y: cy + rowH/2 + 4, Text: fmt.Sprintf("#%d", r.seq), Class: "muted"})
		}
		p.Labels = append(p.Labels, label{X: rowL - 8, Y: cy + 4, Text: r.side, Anchor: "end", Class: "side " + r.cls})
		if len(r.xs) == 0 {
			text := "no samples"
			if r.noSamples != "" {
				text = truncate(r.noSamples, 64)
			}
			p.Labels = append(p.Labels, label{X: rowL + 6, Y: cy + 4, Text: text, Class: "note"})
			y += rowH
			continue
		}
		sorted := slices.Sorted(slices.Values(r.xs))
		q1, med, q3 := quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)
		t := fmt.Sprintf("interval %d %s: %s", r.seq, r.side, summary(r.xs))
		if r.missing > 0 {
			t += fmt.Sprintf(" (%d NaN not drawn)", r.missing)
		}
		p.Bars = append(p.Bars, bar{X: x(q1), Y: cy - 8, W: max(x(q3)-x(q1), 1), H: 16, Class: "iqr " + r.cls, Title: t})
		p.Lines = append(p.Lines, line{X1: x(med), Y1: cy - 9, X2: x(med), Y2: cy + 9, Class: "median " + r.cls})
		step := max(1, len(r.xs)/maxDots)
		for j := 0; j < len(r.xs); j += step {
			jitter := float64((j*37)%7-3) * 2
			p.Dots = append(p.Dots, dot{X: x(r.xs[j]), Y: cy + jitter, R: 2.6, Class: "sample " + r.cls})
		}
		y += rowH
	}
	p.round()
	return p
}

// shiftPlot draws per interval the Hodges-Lehmann shift of canary over
// baseline with its confidence interval, against zero and the tolerance
// band the interval has to clear.
func shiftPlot(id, name string, ivs []intervalView) plot {
	var ms []metricView
	var seqs []int
	vals := []float64{0}
	conf := 0.0
	for _, iv := range ivs {
		for _, m := range iv.Metrics {
			if m.Name == name {
				ms = append(ms, m)
				seqs = append(seqs, iv.Sequence)
				if m.Tested {
					vals = append(vals, m.res.Low, m.res.High, m.res.Tolerance, -m.res.Tolerance)
					conf = m.res.ConfidenceLevel
				}
			}
		}
	}
	h := rowT + len(ms)*(rowH+4) + rowAxis
	title := fmt.Sprintf("%s: shift canary − baseline (Hodges-Lehmann) with its %s interval, against zero and the tolerance", name, pctOf(conf))
	p := plot{ID: id, W: figureWidth, H: h, Title: title}
	ticks, lo, hi := niceScale(slices.Min(vals), slices.Max(vals), 5, false)
	inner := float64(figureWidth - rowL - rowR)
	x := func(v float64) float64 { return rowL + (v-lo)/(hi-lo)*inner }
	bottom := float64(h - rowAxis + 4)
	vf := plotFmt(name, ivs, hi-lo)
	for _, t := range ticks {
		p.Lines = append(p.Lines, line{X1: x(t), Y1: rowT - 4, X2: x(t), Y2: bottom, Class: "grid"})
		p.Labels = append(p.Labels, label{X: x(t), Y: bottom + 16, Text: vf.of(t), Anchor: "middle"})
	}
	p.Lines = append(p.Lines, line{X1: rowL, Y1: bottom, X2: rowL + inner, Y2: bottom, Class: "axis"},
		line{X1: x(0), Y1: rowT - 6, X2: x(0), Y2: bottom, Class: "zero-line"})
	p.Labels = append(p.Labels, label{X: rowL + inner/2, Y: bottom + 33, Text: "shift canary − baseline" + unitTitle(vf.unit) + " (0: no change)", Anchor: "middle", Class: "axis-title"})
	var desc []string
	for i, m := range ms {
		cy := float64(rowT) + float64(i)*(rowH+4) + (rowH+4)/2
		p.Labels = append(p.Labels, label{X: 6, Y: cy + 4, Text: fmt.Sprintf("#%d", seqs[i]), Class: "muted"},
			label{X: rowL - 8, Y: cy + 4, Text: m.Class, Anchor: "end", Class: "side " + statusClass(m.Class)})
		if !m.Tested {
			p.Labels = append(p.Labels, label{X: rowL + 6, Y: cy + 4, Text: truncate("not tested: "+m.Reason, 70), Class: "note"})
			desc = append(desc, fmt.Sprintf("interval %d: not tested (%s)", seqs[i], m.Reason))
			continue
		}
		r := m.res
		if r.Tolerance > 0 {
			p.Bars = append(p.Bars, bar{X: x(-r.Tolerance), Y: cy - 10, W: x(r.Tolerance) - x(-r.Tolerance), H: 20, Class: "tol-band",
				Title: "tolerance ±" + vf.of(r.Tolerance) + ": the interval has to clear it"})
		}
		t := fmt.Sprintf("interval %d: shift %s, %s interval %s, tolerance ±%s: %s", seqs[i], vf.of(r.Estimate), pctOf(r.ConfidenceLevel),
			vf.interval(r.Low, r.High), vf.of(r.Tolerance), m.Class)
		p.Lines = append(p.Lines, line{X1: x(r.Low), Y1: cy, X2: x(r.High), Y2: cy, Class: "ci " + statusClass(m.Class)})
		p.Points = append(p.Points, point{X: x(r.Estimate), Y: cy, Class: statusClass(m.Class), Title: t})
		desc = append(desc, t)
	}
	p.Desc = strings.Join(desc, ". ") + "."
	p.round()
	return p
}

// plotFmt formats a metric plot's ticks: in the metric's unit, with float
// noise against the axis' span shown as 0.
func plotFmt(name string, ivs []intervalView, span float64) valueFmt {
	vf := valueFmt{unit: analysis.MetricUnit(name, "")}
	for _, iv := range ivs {
		for _, m := range iv.Metrics {
			if m.Name == name {
				vf.unit = m.vf.unit
			}
		}
	}
	vf.scale = math.Abs(span)
	return vf
}

// unitTitle names a unit in an axis title.
func unitTitle(u analysis.Unit) string {
	switch u {
	case analysis.UnitSeconds:
		return ", time"
	case analysis.UnitFraction:
		return ", share of requests"
	}
	return ""
}

// summary describes samples in a few numbers.
func summary(xs []float64) string {
	if len(xs) == 0 {
		return "no samples"
	}
	s := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("%d samples, median %s, middle half %s", len(s), fmtNumber(quantile(s, 0.5)), fmtInterval(quantile(s, 0.25), quantile(s, 0.75)))
}

// quantile of sorted samples, interpolated linearly.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

// niceScale widens [lo, hi] to round ticks, about n of them. With fromZero,
// a range of non-negative values starts at 0 when that does not squash it.
func niceScale(lo, hi float64, n int, fromZero bool) ([]float64, float64, float64) {
	if fromZero && lo >= 0 && lo <= hi/2 {
		lo = 0
	}
	if fromZero && lo == 0 && hi == 0 {
		hi = 1
	}
	if hi == lo {
		d := math.Abs(hi) / 10
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	step := niceStep((hi - lo) / float64(n))
	first, last := math.Floor(lo/step), math.Ceil(hi/step)
	var ticks []float64
	for k := first; k <= last; k++ {
		ticks = append(ticks, k*step)
	}
	return ticks, first * step, last * step
}

func niceStep(x float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(x)))
	switch f := x / e; {
	case f <= 1:
		return e
	case f <= 2:
		return 2 * e
	case f <= 5:
		return 5 * e
	}
	return 10 * e
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
