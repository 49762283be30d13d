package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

func weeks(n int) []time.Time {
	start := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC) // a Monday
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.AddDate(0, 0, 7*i)
	}
	return out
}

// A line is broken where a bucket has no data: a nil rate is a gap, never
// a point at 0; a point alone between gaps still shows.
func TestChartLineGaps(t *testing.T) {
	t.Parallel()
	vals := []*float64{fptr(0.1), fptr(0.2), nil, fptr(0), nil, fptr(0.05), fptr(0.04)}
	c := buildChart(chartSpec{ID: "c", Title: "rate", Kind: lineChart, By: kpi.BucketWeek, Buckets: weeks(len(vals)),
		Series: []series{{Name: "rate", Class: "s1", Values: vals}}, Unit: percentUnit, YTitle: "failures", Value: fmtPct, Zones: cfrZones})
	if len(c.Lines) != 2 {
		t.Fatalf("want 2 runs drawn as lines (the lone 0 is a point), got %d: %+v", len(c.Lines), c.Lines)
	}
	if len(c.Points) != 5 {
		t.Errorf("want a marker per value that is there (5), got %d", len(c.Points))
	}
	var zero *point
	for i := range c.Points {
		if strings.Contains(c.Points[i].Title, "week of 2026-09-28") {
			zero = &c.Points[i]
		}
		if strings.Contains(c.Points[i].Title, "2026-09-21") || strings.Contains(c.Points[i].Title, "2026-10-05") {
			t.Errorf("a bucket without data got a point: %s", c.Points[i].Title)
		}
	}
	if zero == nil || zero.Y != kpiH-kpiPadB || zero.Title != "week of 2026-09-28: rate 0%" {
		t.Errorf("the 0%% bucket should be a point on the axis, got %+v", zero)
	}
	// Ticks 0..20% (nice steps of 5), so elite, high and medium show, low (above 15%) in part.
	var labels []string
	for _, l := range c.Labels {
		labels = append(labels, l.Text)
	}
	all := strings.Join(labels, "|")
	for _, want := range []string{"0%", "10%", "20%", "failures (%)", "elite", "high", "medium", "Sep 7", "week starting (Monday), UTC, 2026"} {
		if !strings.Contains("|"+all+"|", "|"+want+"|") {
			t.Errorf("no label %q in %s", want, all)
		}
	}
	if len(c.Zones) != 4 {
		t.Errorf("want 4 zones clipped to the axis, got %d", len(c.Zones))
	}
	for _, want := range []string{"rate, 7 week buckets from week of 2026-09-07 to week of 2026-10-19.", "latest 4% (week of 2026-10-19)", "highest 20% (week of 2026-09-14)",
		"lowest 0% (week of 2026-09-28)", "2 without data", "Bands: elite ≤ 5%, high ≤ 10%, medium ≤ 15%, low above 15%."} {
		if !strings.Contains(c.Desc, want) {
			t.Errorf("desc lacks %q: %s", want, c.Desc)
		}
	}
}

// Zones above the axis' top are not drawn: a lead time of hours shows
// only the elite zone.
func TestChartZonesClipped(t *testing.T) {
	t.Parallel()
	c := buildChart(chartSpec{ID: "c", Title: "lead", Kind: lineChart, By: kpi.BucketWeek, Buckets: weeks(2), Duration: true, YTitle: "lead time",
		Series: []series{{Name: "median", Class: "s1", Values: []*float64{fptr(3 * 3600), fptr(5 * 3600)}}}, Value: fmtSeconds, Zones: leadTimeZones})
	if len(c.Zones) != 1 || c.Zones[0].Class != "zone band-elite" || c.Zones[0].Y != kpiPadT || c.Zones[0].H != kpiH-kpiPadB-kpiPadT {
		t.Errorf("want the elite zone over the whole plot, got %+v", c.Zones)
	}
	found := false
	for _, l := range c.Labels {
		found = found || l.Text == "lead time (hours)"
	}
	if !found {
		t.Errorf("the axis title should say hours: %+v", c.Labels)
	}
}

// Stacked bars: each bucket's parts stack to its total; a bucket without
// a lead time has no bar at all.
func TestChartStack(t *testing.T) {
	t.Parallel()
	c := buildChart(chartSpec{ID: "c", Title: "parts", Kind: stackChart, By: kpi.BucketWeek, Buckets: weeks(3), Duration: true, Value: fmtSeconds,
		Series: []series{
			{Name: "waiting to start", Class: "p1", Values: []*float64{fptr(600), nil, fptr(0)}},
			{Name: "running", Class: "p2", Values: []*float64{fptr(1200), nil, fptr(1800)}},
			{Name: "waiting for people", Class: "p3", Values: []*float64{fptr(1800), nil, fptr(0)}},
		}})
	if len(c.Bars) != 4 {
		t.Fatalf("want 3 bars in the first bucket and 1 in the third (parts of 0 are not drawn), got %d", len(c.Bars))
	}
	first := c.Bars[:3]
	if first[0].Y+0.1 < first[1].Y+first[1].H || first[1].Y+0.1 < first[2].Y+first[2].H {
		t.Errorf("parts do not stack: %+v", first)
	}
	// 3600 s is the tallest stack; the axis goes to 60 min.
	if top := first[2].Y; top < kpiPadT-0.1 || top > kpiPadT+0.1 {
		t.Errorf("the 60 min stack should reach the top of the axis, its top is at %v", top)
	}
	if first[1].Title != "week of 2026-09-07: running 20 min" {
		t.Errorf("bar title %q", first[1].Title)
	}
	if len(c.Legend) != 3 || c.Legend[2].Text != "waiting for people" {
		t.Errorf("legend %+v", c.Legend)
	}
}

// Counts get whole ticks, and a period without deploys says so.
func TestChartBarsEmpty(t *testing.T) {
	t.Parallel()
	c := buildChart(chartSpec{ID: "c", Title: "deploys", Kind: barChart, By: kpi.BucketDay, Buckets: weeks(3), Integer: true, Value: fmtSig3,
		Series: []series{{Name: "deploys", Class: "s1", Values: []*float64{fptr(0), fptr(0), fptr(0)}}}, Empty: "no production deploys in this period"})
	var texts []string
	for _, l := range c.Labels {
		texts = append(texts, l.Text)
	}
	s := strings.Join(texts, "|")
	if !strings.Contains(s, "no production deploys in this period") || !strings.Contains(s, "|1|") || strings.Contains(s, "0.5") {
		t.Errorf("labels %s", s)
	}
	empty := buildChart(chartSpec{ID: "e", Title: "nothing", Kind: lineChart, By: kpi.BucketWeek, Value: fmtPct, Unit: percentUnit})
	if empty.Desc != "nothing: no buckets in this period." || len(empty.Lines) != 0 {
		t.Errorf("an empty chart: %+v", empty)
	}
}

// With many buckets, lines carry no marker per point (the table has the
// numbers), and the x axis labels thin out.
func TestChartManyBuckets(t *testing.T) {
	t.Parallel()
	n := 367
	vals := make([]*float64, n)
	for i := range vals {
		vals[i] = fptr(float64(i % 7))
	}
	buckets := make([]time.Time, n)
	for i := range buckets {
		buckets[i] = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
	}
	c := buildChart(chartSpec{ID: "c", Title: "steps", Kind: lineChart, By: kpi.BucketDay, Buckets: buckets, Value: fmtSig3,
		Series: []series{{Name: "steps", Class: "s1", Values: vals}}})
	if len(c.Points) != 0 || len(c.Lines) != 1 {
		t.Errorf("points %d lines %d", len(c.Points), len(c.Lines))
	}
	dates := 0
	for _, l := range c.Labels {
		if l.Anchor == "middle" && l.Class == "" {
			dates++
		}
	}
	if dates > kpiXLabels {
		t.Errorf("%d date labels, at most %d fit", dates, kpiXLabels)
	}
	if got := c.Labels[len(c.Labels)-1].Text; got != "day, UTC, 2025–2026" {
		t.Errorf("x axis title %q", got)
	}
}

// The chart's SVG is written by hand: every text is escaped.
func TestChartBodyEscapes(t *testing.T) {
	t.Parallel()
	c := chart{Labels: []label{{X: 1.5, Y: 2, Text: `<script>"x"&`}}, Bars: []bar{{X: 1, Y: 2, W: 3, H: 4, Class: "bar s1", Title: "a<b"}},
		Lines: []polyline{{Points: "1,2 3,4", Class: `s1" onload="x`}}}
	got := string(c.Body())
	for _, want := range []string{`<text x="1.5" y="2" text-anchor="start" class="">&lt;script&gt;&#34;x&#34;&amp;</text>`,
		`<rect x="1" y="2" width="3" height="4" class="bar s1"><title>a&lt;b</title></rect>`, `class="s1&#34; onload=&#34;x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("body lacks %s:\n%s", want, got)
		}
	}
}
