package web

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

// chart is a server-rendered SVG chart of one KPI over a report's buckets
// (template "kpi-chart"): shaded band zones, grid and axes, bars or lines,
// and labels, in a W x H viewBox. Title and Desc are for screen readers;
// the table beside the chart has the exact numbers.
type chart struct {
	ID     string
	W, H   int
	Title  string
	Desc   string
	Zones  []bar
	Grid   []line
	Bars   []bar
	Lines  []polyline
	Points []point
	Labels []label
	// Legend names the series (and what a zone means) under the chart.
	Legend []legendItem
}

// polyline is one run of a line series (a gap in the data breaks it).
type polyline struct {
	Points string
	Class  string
}

type legendItem struct {
	Class, Text string
}

// chartKind is how a chart draws its series.
type chartKind int

const (
	// barChart draws each series' values as bars side by side (one series: one bar per bucket).
	barChart chartKind = iota
	// lineChart draws each series as a line through its buckets, broken where one has no data.
	lineChart
	// stackChart stacks the series' values of a bucket into one bar.
	stackChart
)

// series is one line or bar set of a chart: a value per bucket in the
// KPI's unit (seconds, a fraction, a count), nil where there is no data.
type series struct {
	Name   string
	Class  string
	Values []*float64
}

// bandZone shades the values from Lo to Hi (in the KPI's unit; Hi may be
// +Inf) as a DORA band.
type bandZone struct {
	Band   kpi.Band
	Lo, Hi float64
	// Rule says the band's threshold in words: "< 1 day".
	Rule string
}

// chartSpec is what a chart shows.
type chartSpec struct {
	ID, Title string
	Kind      chartKind
	By        kpi.Bucket
	Buckets   []time.Time
	Series    []series
	// Unit is the value axis' unit; for a time axis leave it zero and set Duration.
	Unit     axisUnit
	Duration bool
	// Integer keeps the ticks whole (counts).
	Integer bool
	// YTitle names the value axis (the unit is added).
	YTitle string
	// Value writes one exact value, for the titles of bars and points.
	Value func(float64) string
	Zones []bandZone
	// Empty is the note shown when there is nothing to draw (default "no data in this period").
	Empty string
}

// Geometry of the KPI charts.
const (
	kpiW, kpiH         = 600, 250
	kpiPadL, kpiPadR   = 58, 64
	kpiPadT, kpiPadB   = 30, 46
	kpiTicks           = 4
	kpiXLabels         = 6
	kpiMarkedPoints    = 60 // up to this many buckets, every point of a line gets a marker with a title
	kpiZoneLabelHeight = 14
)

// buildChart lays out spec: a pure function of its data.
func buildChart(s chartSpec) chart {
	c := chart{ID: s.ID, W: kpiW, H: kpiH, Title: s.Title}
	n := len(s.Buckets)
	top := s.top()
	unit := s.Unit
	if s.Duration {
		unit = durationUnit(top)
	}
	if unit.Div == 0 {
		unit = countUnit
	}
	ticks := niceTicks(top/unit.Div, kpiTicks, s.Integer)
	yMax := ticks[len(ticks)-1] * unit.Div
	x0, x1 := float64(kpiPadL), float64(kpiW-kpiPadR)
	y := linScale{D0: 0, D1: yMax, R0: float64(kpiH - kpiPadB), R1: kpiPadT}
	sl := slots{X0: x0, W: x1 - x0, N: n}

	c.zones(s, y, x0, x1, yMax)
	for _, t := range ticks {
		py := y.at(t * unit.Div)
		c.Grid = append(c.Grid, line{X1: x0, Y1: py, X2: x1, Y2: py, Class: "grid"})
		c.Labels = append(c.Labels, label{X: x0 - 6, Y: py + 4, Text: unit.tick(t * unit.Div), Anchor: "end"})
	}
	bottom := y.at(0)
	c.Grid = append(c.Grid, line{X1: x0, Y1: bottom, X2: x1, Y2: bottom, Class: "axis"}, line{X1: x0, Y1: bottom, X2: x0, Y2: kpiPadT - 4, Class: "axis"})
	yTitle := s.YTitle
	if unit.Name != "" {
		yTitle += " (" + unit.Name + ")"
	}
	c.Labels = append(c.Labels, label{X: 4, Y: 16, Text: yTitle, Class: "axis-title"})
	every := labelEvery(n, kpiXLabels)
	for i := 0; i < n; i += every {
		c.Labels = append(c.Labels, label{X: sl.center(i), Y: bottom + 17, Text: bucketLabel(s.By, s.Buckets[i]), Anchor: "middle"})
	}
	c.Labels = append(c.Labels, label{X: (x0 + x1) / 2, Y: kpiH - 6, Text: xTitle(s.By, s.Buckets), Anchor: "middle", Class: "axis-title"})

	switch s.Kind {
	case barChart:
		c.bars(s, sl, y)
	case stackChart:
		c.stack(s, sl, y)
	default:
		c.lines(s, sl, y)
	}
	if !s.hasData() {
		note := s.Empty
		if note == "" {
			note = "no data in this period"
		}
		c.Labels = append(c.Labels, label{X: (x0 + x1) / 2, Y: (kpiPadT + bottom) / 2, Text: note, Anchor: "middle", Class: "note"})
	}
	for _, se := range s.Series {
		c.Legend = append(c.Legend, legendItem{Class: se.Class, Text: se.Name})
	}
	c.Desc = s.describe()
	c.round()
	return c
}

// top is the largest value the chart has to show (a stack's total).
func (s chartSpec) top() float64 {
	hi := 0.0
	for i := range s.Buckets {
		sum := 0.0
		for _, se := range s.Series {
			if i < len(se.Values) && se.Values[i] != nil {
				v := *se.Values[i]
				if s.Kind == stackChart {
					sum += v
				} else {
					hi = max(hi, v)
				}
			}
		}
		hi = max(hi, sum)
	}
	return hi
}

func (s chartSpec) hasData() bool {
	for _, se := range s.Series {
		for _, v := range se.Values {
			if v != nil && (*v != 0 || s.Kind == lineChart) {
				return true
			}
		}
	}
	return false
}

// value is series se's value at bucket i (nil when it has none).
func (se series) value(i int) *float64 {
	if i < len(se.Values) {
		return se.Values[i]
	}
	return nil
}

func (c *chart) zones(s chartSpec, y linScale, x0, x1, yMax float64) {
	for _, z := range s.Zones {
		lo, hi := max(z.Lo, 0), min(z.Hi, yMax)
		if hi <= lo {
			continue
		}
		top, bottom := y.at(hi), y.at(lo)
		c.Zones = append(c.Zones, bar{X: x0, Y: top, W: x1 - x0, H: bottom - top, Class: "zone band-" + string(z.Band), Title: string(z.Band) + ": " + z.Rule})
		if bottom-top >= kpiZoneLabelHeight {
			c.Labels = append(c.Labels, label{X: x1 + 6, Y: (top+bottom)/2 + 4, Text: string(z.Band), Class: "zone-label band-" + string(z.Band)})
		}
		if z.Lo > 0 && z.Lo < yMax {
			c.Grid = append(c.Grid, line{X1: x0, Y1: bottom, X2: x1, Y2: bottom, Class: "zone-edge"})
		}
	}
	if len(c.Zones) > 0 {
		c.Legend = append(c.Legend, legendItem{Class: "zone", Text: "shaded: DORA bands"})
	}
}

func (c *chart) bars(s chartSpec, sl slots, y linScale) {
	k := max(len(s.Series), 1)
	w := sl.barWidth() / float64(k)
	for j, se := range s.Series {
		for i, b := range s.Buckets {
			v := se.value(i)
			if v == nil {
				continue
			}
			x := sl.center(i) - sl.barWidth()/2 + float64(j)*w
			top := y.at(*v)
			c.Bars = append(c.Bars, bar{X: x, Y: top, W: w, H: y.at(0) - top, Class: "bar " + se.Class, Title: bucketName(s.By, b) + ": " + se.Name + " " + s.Value(*v)})
		}
	}
}

func (c *chart) stack(s chartSpec, sl slots, y linScale) {
	w := sl.barWidth()
	for i, b := range s.Buckets {
		base := 0.0
		for _, se := range s.Series {
			v := se.value(i)
			if v == nil || *v <= 0 {
				continue
			}
			top, bottom := y.at(base+*v), y.at(base)
			c.Bars = append(c.Bars, bar{X: sl.center(i) - w/2, Y: top, W: w, H: bottom - top, Class: "bar " + se.Class, Title: bucketName(s.By, b) + ": " + se.Name + " " + s.Value(*v)})
			base += *v
		}
	}
}

func (c *chart) lines(s chartSpec, sl slots, y linScale) {
	for _, se := range s.Series {
		for _, r := range runs(se.Values) {
			if r[1]-r[0] > 1 {
				pts := make([]string, 0, r[1]-r[0])
				for i := r[0]; i < r[1]; i++ {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", sl.center(i), y.at(*se.Values[i])))
				}
				c.Lines = append(c.Lines, polyline{Points: strings.Join(pts, " "), Class: "series " + se.Class})
			}
			for i := r[0]; i < r[1]; i++ {
				// Every point gets a marker while there is room; a
				// point alone between gaps always does, or it would not show.
				if len(s.Buckets) <= kpiMarkedPoints || r[1]-r[0] == 1 {
					c.Points = append(c.Points, point{X: sl.center(i), Y: y.at(*se.Values[i]), Class: se.Class,
						Title: bucketName(s.By, s.Buckets[i]) + ": " + se.Name + " " + s.Value(*se.Values[i])})
				}
			}
		}
	}
}

// xTitle names the x axis: what a bucket is, in UTC, and the years shown.
func xTitle(b kpi.Bucket, buckets []time.Time) string {
	what := map[kpi.Bucket]string{kpi.BucketDay: "day", kpi.BucketWeek: "week starting (Monday)", kpi.BucketMonth: "month"}[b]
	if what == "" {
		what = string(b)
	}
	if len(buckets) == 0 {
		return what + ", UTC"
	}
	y0, y1 := buckets[0].Year(), buckets[len(buckets)-1].Year()
	if b == kpi.BucketMonth {
		return what + ", UTC"
	}
	if y0 == y1 {
		return fmt.Sprintf("%s, UTC, %d", what, y0)
	}
	return fmt.Sprintf("%s, UTC, %d–%d", what, y0, y1)
}

// describe says in words what the chart shows, for screen readers: per
// series its latest, highest and lowest values and the buckets without
// data, and the band zones.
func (s chartSpec) describe() string {
	n := len(s.Buckets)
	if n == 0 {
		return s.Title + ": no buckets in this period."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d %s buckets from %s to %s.", s.Title, n, s.By, bucketName(s.By, s.Buckets[0]), bucketName(s.By, s.Buckets[n-1]))
	for _, se := range s.Series {
		lo, hi, last, missing := -1, -1, -1, 0
		for i := range s.Buckets {
			v := se.value(i)
			if v == nil {
				missing++
				continue
			}
			if hi < 0 || *v > *se.Values[hi] {
				hi = i
			}
			if lo < 0 || *v < *se.Values[lo] {
				lo = i
			}
			last = i
		}
		if last < 0 {
			fmt.Fprintf(&b, " %s: no data.", se.Name)
			continue
		}
		fmt.Fprintf(&b, " %s: latest %s (%s), highest %s (%s), lowest %s (%s)", se.Name,
			s.Value(*se.Values[last]), bucketName(s.By, s.Buckets[last]),
			s.Value(*se.Values[hi]), bucketName(s.By, s.Buckets[hi]),
			s.Value(*se.Values[lo]), bucketName(s.By, s.Buckets[lo]))
		if missing > 0 {
			fmt.Fprintf(&b, "; %d without data", missing)
		}
		b.WriteString(".")
	}
	if len(s.Zones) > 0 {
		b.WriteString(" Bands:")
		for i, z := range s.Zones {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %s", z.Band, z.Rule)
		}
		b.WriteString(".")
	}
	return b.String()
}

// round keeps one decimal of every coordinate, so the SVG stays small.
func (c *chart) round() {
	r := func(f *float64) { *f = math.Round(*f*10) / 10 }
	for _, bs := range [][]bar{c.Zones, c.Bars} {
		for i := range bs {
			r(&bs[i].X)
			r(&bs[i].Y)
			r(&bs[i].W)
			r(&bs[i].H)
		}
	}
	for i := range c.Grid {
		r(&c.Grid[i].X1)
		r(&c.Grid[i].Y1)
		r(&c.Grid[i].X2)
		r(&c.Grid[i].Y2)
	}
	for i := range c.Points {
		r(&c.Points[i].X)
		r(&c.Points[i].Y)
	}
	for i := range c.Labels {
		r(&c.Labels[i].X)
		r(&c.Labels[i].Y)
	}
}
