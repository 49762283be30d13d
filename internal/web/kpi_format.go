package web

import (
	"math"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/kpi"
)

// noData is what a KPI over nothing shows: never 0.
const noData = "no data"

// fmtSeconds writes a duration in seconds in the unit it reads best in,
// with at most three significant digits: 42 s, 12.5 min, 3.25 h, 2.5 d.
func fmtSeconds(s float64) string {
	a := math.Abs(s)
	switch {
	case a == 0:
		return "0 s"
	case a < 60:
		return analysis.FormatSig(s, 3) + " s"
	case a < 3600:
		return analysis.FormatSig(s/60, 3) + " min"
	case a < 86400:
		return analysis.FormatSig(s/3600, 3) + " h"
	}
	return analysis.FormatSig(s/86400, 3) + " d"
}

// fmtPct writes a fraction as a percentage: 0.125 is 12.5%.
func fmtPct(f float64) string { return analysis.FormatSig(f*100, 3) + "%" }

// fmtRate writes a count per day, e.g. 2.5/day.
func fmtRate(f float64) string { return analysis.FormatSig(f, 3) + "/day" }

// fmtCount writes a count with at most four significant digits.
func fmtCount(n int) string { return analysis.FormatSig(float64(n), 4) }

// fmtOpt writes a KPI that may have no data.
func fmtOpt(v *float64, f func(float64) string) string {
	if v == nil {
		return noData
	}
	return f(*v)
}

// trendView is a KPI against the period before: which way it moved, by
// how much, and whether that is better or worse, in words as well as in
// colour.
type trendView struct {
	// Arrow is ▲ (up), ▼ (down) or = (no change); "" when there is nothing
	// to compare. Dir says the same in words ("up", "down") for screen readers.
	Arrow, Dir string
	// Delta is how far it moved, in the KPI's unit; Before the value of the period before.
	Delta, Before string
	// Verdict is "better", "worse" or "no change"; Class the same for CSS ("none" without a comparison).
	Verdict, Class string
}

// trend compares cur with prev. higherBetter says which way is good (more
// deploys; fewer failures), delta writes the difference and value a value;
// values that read the same are no change.
func trend(cur, prev *float64, higherBetter bool, delta, value func(float64) string) trendView {
	if cur == nil || prev == nil {
		t := trendView{Verdict: "no comparison", Class: "none"}
		if prev == nil {
			t.Before = noData
		} else {
			t.Before = value(*prev)
		}
		return t
	}
	d := *cur - *prev
	t := trendView{Before: value(*prev), Delta: delta(math.Abs(d))}
	switch {
	case d == 0 || t.Before == value(*cur):
		return trendView{Arrow: "=", Before: t.Before, Verdict: "no change", Class: "same"}
	case d > 0:
		t.Arrow, t.Dir = "▲", "up"
	default:
		t.Arrow, t.Dir = "▼", "down"
	}
	if (d > 0) == higherBetter {
		t.Verdict, t.Class = "better", "better"
	} else {
		t.Verdict, t.Class = "worse", "worse"
	}
	return t
}

// fmtPoints writes a difference of two fractions in percentage points.
func fmtPoints(f float64) string { return analysis.FormatSig(f*100, 3) + " points" }

// bandText is a band in words ("no band" when the KPI has no data).
func bandText(b kpi.Band) string {
	if b == "" {
		return "no band"
	}
	return string(b)
}

// ratio is a/b, nil when b is 0.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	r := a / b
	return &r
}

// fptr is a pointer to v.
func fptr(v float64) *float64 { return &v }
