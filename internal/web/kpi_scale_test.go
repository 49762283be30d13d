package web

import (
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hi      float64
		n       int
		integer bool
		want    []float64
	}{
		{10, 4, false, []float64{0, 5, 10}},
		{7.3, 4, false, []float64{0, 2, 4, 6, 8}},
		{0.3, 4, false, []float64{0, 0.1, 0.2, 0.3}},
		{0.07, 4, false, []float64{0, 0.02, 0.04, 0.06, 0.08}},
		{1, 4, true, []float64{0, 1}},
		{3, 4, true, []float64{0, 1, 2, 3}},
		{0, 4, true, []float64{0, 1}},
		{0, 4, false, []float64{0, 0.5, 1}},
		{1234, 4, true, []float64{0, 500, 1000, 1500}},
		{45, 4, false, []float64{0, 20, 40, 60}},
	} {
		if got := niceTicks(tc.hi, tc.n, tc.integer); !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%v, %d, %v) = %v, want %v", tc.hi, tc.n, tc.integer, got, tc.want)
		}
	}
}

func TestDurationUnit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max  float64
		want string
	}{{30, "seconds"}, {119, "seconds"}, {600, "minutes"}, {3 * 3600, "hours"}, {3 * 86400, "days"}} {
		if got := durationUnit(tc.max).Name; got != tc.want {
			t.Errorf("durationUnit(%v) = %s, want %s", tc.max, got, tc.want)
		}
	}
	if got := durationUnit(3 * 86400).tick(86400 * 1.5); got != "1.5 d" {
		t.Errorf("tick = %q", got)
	}
	if got := percentUnit.tick(0.125); got != "12.5%" {
		t.Errorf("percent tick = %q", got)
	}
}

func TestRuns(t *testing.T) {
	t.Parallel()
	one := fptr(1)
	for _, tc := range []struct {
		in   []*float64
		want [][2]int
	}{
		{nil, nil},
		{[]*float64{nil, nil}, nil},
		{[]*float64{one, one, nil, one}, [][2]int{{0, 2}, {3, 4}}},
		{[]*float64{nil, one, one, one}, [][2]int{{1, 4}}},
		{[]*float64{one, nil, one, nil, one}, [][2]int{{0, 1}, {2, 3}, {4, 5}}},
	} {
		if got := runs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("runs = %v, want %v", got, tc.want)
		}
	}
}

func TestScalesAndSlots(t *testing.T) {
	t.Parallel()
	y := linScale{D0: 0, D1: 10, R0: 200, R1: 0}
	if y.at(0) != 200 || y.at(10) != 0 || y.at(5) != 100 {
		t.Errorf("linScale: %v %v %v", y.at(0), y.at(10), y.at(5))
	}
	s := slots{X0: 50, W: 100, N: 4}
	if s.center(0) != 62.5 || s.center(3) != 137.5 || s.barWidth() != 17.5 {
		t.Errorf("slots: %v %v %v", s.center(0), s.center(3), s.barWidth())
	}
	if (slots{W: 100, N: 1000}).barWidth() != 1 {
		t.Error("a bar is at least a pixel wide")
	}
	for _, tc := range []struct{ n, max, want int }{{5, 6, 1}, {6, 6, 1}, {13, 6, 3}, {367, 6, 62}} {
		if got := labelEvery(tc.n, tc.max); got != tc.want {
			t.Errorf("labelEvery(%d, %d) = %d, want %d", tc.n, tc.max, got, tc.want)
		}
	}
	nov30 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if got := bucketLabel(kpi.BucketWeek, nov30); got != "Nov 30" {
		t.Errorf("bucketLabel week = %q", got)
	}
	if got := bucketLabel(kpi.BucketMonth, nov30); got != "Nov 2026" {
		t.Errorf("bucketLabel month = %q", got)
	}
	if got := bucketName(kpi.BucketWeek, nov30); got != "week of 2026-11-30" {
		t.Errorf("bucketName = %q", got)
	}
}

func TestKPIFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want string
	}{
		{fmtSeconds(0), "0 s"}, {fmtSeconds(42.42), "42.4 s"}, {fmtSeconds(750), "12.5 min"}, {fmtSeconds(3.25 * 3600), "3.25 h"},
		{fmtSeconds(2.5 * 86400), "2.5 d"}, {fmtSeconds(123456789), "1430 d"},
		{fmtPct(0.125), "12.5%"}, {fmtPct(1), "100%"}, {fmtPct(1.0 / 3), "33.3%"},
		{fmtRate(2.0 / 3), "0.667/day"}, {fmtCount(12345), "12350"}, {fmtCount(7), "7"},
		{fmtOpt(nil, fmtPct), "no data"}, {fmtOpt(fptr(0), fmtPct), "0%"},
		{bandText(""), "no band"}, {bandText(kpi.BandHigh), "high"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestTrend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		cur, prev    *float64
		higherBetter bool
		want         trendView
	}{
		{"fewer failures are better", fptr(0.05), fptr(0.10), false, trendView{Arrow: "▼", Dir: "down", Delta: "5 points", Before: "10%", Verdict: "better", Class: "better"}},
		{"more failures are worse", fptr(0.2), fptr(0.1), false, trendView{Arrow: "▲", Dir: "up", Delta: "10 points", Before: "10%", Verdict: "worse", Class: "worse"}},
		{"more deploys are better", fptr(0.3), fptr(0.1), true, trendView{Arrow: "▲", Dir: "up", Delta: "20 points", Before: "10%", Verdict: "better", Class: "better"}},
		{"no change", fptr(0.1), fptr(0.1), false, trendView{Arrow: "=", Before: "10%", Verdict: "no change", Class: "same"}},
		{"too small to show is no change", fptr(0.1), fptr(0.1 + 1e-9), false, trendView{Arrow: "=", Before: "10%", Verdict: "no change", Class: "same"}},
		{"nothing before", fptr(0.1), nil, false, trendView{Before: "no data", Verdict: "no comparison", Class: "none"}},
		{"nothing now", nil, fptr(0.1), false, trendView{Before: "10%", Verdict: "no comparison", Class: "none"}},
	} {
		if got := trend(tc.cur, tc.prev, tc.higherBetter, fmtPoints, fmtPct); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
