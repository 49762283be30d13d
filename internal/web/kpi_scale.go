package web

import (
	"math"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/kpi"
)

// axisUnit is how a KPI chart's value axis shows its values: a value in
// the KPI's own unit (seconds, a fraction, a count) is divided by Div and
// written with Suffix; Name goes in the axis title.
type axisUnit struct {
	Div    float64
	Suffix string
	Name   string
}

var (
	percentUnit = axisUnit{Div: 0.01, Suffix: "%", Name: "%"}
	countUnit   = axisUnit{Div: 1}
)

// durationUnit is the unit a time axis reads best in for values up to
// maxSeconds: seconds, minutes, hours or days.
func durationUnit(maxSeconds float64) axisUnit {
	switch {
	case maxSeconds >= 2*86400:
		return axisUnit{Div: 86400, Suffix: " d", Name: "days"}
	case maxSeconds >= 2*3600:
		return axisUnit{Div: 3600, Suffix: " h", Name: "hours"}
	case maxSeconds >= 120:
		return axisUnit{Div: 60, Suffix: " min", Name: "minutes"}
	}
	return axisUnit{Div: 1, Suffix: " s", Name: "seconds"}
}

// tick writes an axis value (in the KPI's unit) in the axis' unit.
func (u axisUnit) tick(v float64) string {
	return analysis.FormatSig(v/u.Div, 4) + u.Suffix
}

// niceTicks chooses the ticks of a value axis from 0 to at least hi (in
// display units): about n of them, at round steps (1, 2 or 5 times a power
// of ten), whole numbers when integer is set. The last tick is the axis'
// top. An axis over nothing (hi ≤ 0) goes from 0 to 1.
func niceTicks(hi float64, n int, integer bool) []float64 {
	if hi <= 0 || math.IsNaN(hi) || math.IsInf(hi, 0) {
		hi = 1
	}
	n = max(n, 1)
	step := niceStep(hi / float64(n))
	if integer && step < 1 {
		step = 1
	}
	last := math.Ceil(hi/step - 1e-9)
	ticks := make([]float64, 0, int(last)+1)
	for k := 0.0; k <= last; k++ {
		ticks = append(ticks, multiple(k, step))
	}
	return ticks
}

// multiple is k times step without float noise (3 × 0.02 is 0.06, not
// 0.060000000000000005): a step below 1 is a whole number divided by a
// power of ten, and the division rounds once.
func multiple(k, step float64) float64 {
	if step >= 1 {
		return k * step
	}
	p := math.Pow(10, math.Ceil(-math.Log10(step)))
	return k * math.Round(step*p) / p
}

// linScale maps values from [D0, D1] onto pixels [R0, R1] linearly.
type linScale struct{ D0, D1, R0, R1 float64 }

func (s linScale) at(v float64) float64 {
	if s.D1 == s.D0 {
		return s.R0
	}
	return s.R0 + (v-s.D0)/(s.D1-s.D0)*(s.R1-s.R0)
}

// slots divides a width into N equal slots, one per bucket.
type slots struct {
	X0, W float64
	N     int
}

// center is the middle of slot i.
func (s slots) center(i int) float64 { return s.X0 + (float64(i)+0.5)*s.step() }

func (s slots) step() float64 {
	if s.N <= 0 {
		return s.W
	}
	return s.W / float64(s.N)
}

// barWidth is the width of a bar in a slot: most of it, at least a pixel.
func (s slots) barWidth() float64 { return max(s.step()*0.7, 1) }

// runs splits a series into its runs of consecutive values that are there
// (not nil), as index ranges [from, to): a line is drawn through each run
// and broken where a bucket has no data.
func runs(vals []*float64) [][2]int {
	var out [][2]int
	start := -1
	for i, v := range vals {
		switch {
		case v != nil && start < 0:
			start = i
		case v == nil && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(vals)})
	}
	return out
}

// labelEvery is how many buckets apart the x axis labels are so that at
// most maxLabels of n fit.
func labelEvery(n, maxLabels int) int {
	if n <= maxLabels || maxLabels <= 0 {
		return 1
	}
	return (n + maxLabels - 1) / maxLabels
}

// bucketLabel names a bucket on an x axis: "Nov 30" for a day or a week,
// "Nov 2026" for a month.
func bucketLabel(b kpi.Bucket, t time.Time) string {
	if b == kpi.BucketMonth {
		return t.Format("Jan 2006")
	}
	return t.Format("Jan 2")
}

// bucketName names a bucket in words: "week of 2026-11-30".
func bucketName(b kpi.Bucket, t time.Time) string {
	switch b {
	case kpi.BucketMonth:
		return t.Format("January 2006")
	case kpi.BucketWeek:
		return "week of " + t.Format(time.DateOnly)
	}
	return t.Format(time.DateOnly)
}
