package slo

import (
	"math"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestMonthBounds(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		month, tz string
		from, to  time.Time
		err       bool
	}{
		{month: "2026-11", from: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{month: "2026-12", tz: "UTC", from: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		// Berlin's March has 30 days and 23 hours: the clocks go forward on its last Sunday.
		{month: "2026-03", tz: "Europe/Berlin", from: time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), to: time.Date(2026, 4, 1, 0, 0, 0, 0, berlin)},
		{month: "2026-2", err: true},
		{month: "2026-13", err: true},
		{month: "nov", err: true},
		{month: "2026-11", tz: "Mars/Olympus", err: true},
	} {
		from, to, err := MonthBounds(tc.month, tc.tz)
		if tc.err {
			if err == nil {
				t.Errorf("%s %s: no error", tc.month, tc.tz)
			}
			continue
		}
		if err != nil || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("%s %s: [%s, %s) %v, want [%s, %s)", tc.month, tc.tz, from, to, err, tc.from, tc.to)
		}
	}
	from, to, _ := MonthBounds("2026-03", "Europe/Berlin")
	if got := to.Sub(from); got != (31*24-1)*time.Hour {
		t.Errorf("Berlin's March lasts %s, want 743h", got)
	}
	if m, _ := MonthOf(time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC), "Europe/Berlin"); m != "2026-11" {
		t.Errorf("23:30 UTC on 31 October is in %s in Berlin, want 2026-11", m)
	}
}

func TestSLA(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	two := model.SLO{Name: "checkout", Application: "checkout", Objectives: []model.Objective{
		{Name: "availability", Target: 0.999}, {Name: "fast", Target: 0.99}}}
	for _, tc := range []struct {
		name    string
		counts  []Counts
		now     time.Time
		met     []bool
		spent   []float64
		allMet  bool
		noData  bool
		partial bool
	}{
		{name: "both met", counts: []Counts{{Good: 999_500, Total: 1_000_000}, {Good: 995, Total: 1000}}, now: to,
			met: []bool{true, true}, spent: []float64{0.5, 0.5}, allMet: true},
		{name: "exactly on target is met", counts: []Counts{{Good: 999, Total: 1000}, {Good: 99, Total: 100}}, now: to,
			met: []bool{true, true}, spent: []float64{1, 1}, allMet: true},
		{name: "one missed", counts: []Counts{{Good: 998, Total: 1000}, {Good: 100, Total: 100}}, now: to,
			met: []bool{false, true}, spent: []float64{2, 0}},
		{name: "no data is met and says so", counts: nil, now: to, met: []bool{true, true}, spent: []float64{0, 0}, allMet: true, noData: true},
		{name: "month not over", counts: []Counts{{Good: 10, Total: 10}, {Good: 10, Total: 10}}, now: from.Add(time.Hour),
			met: []bool{true, true}, spent: []float64{0, 0}, allMet: true, partial: true},
	} {
		r := SLA(two, "2026-11", from, to, tc.now, tc.counts)
		if r.Met != tc.allMet || r.NoData != tc.noData || r.Partial != tc.partial || r.TimeZone != "UTC" || len(r.Objectives) != 2 {
			t.Errorf("%s: %+v", tc.name, r)
			continue
		}
		for i, o := range r.Objectives {
			if o.Met != tc.met[i] || math.Abs(o.BudgetSpent-tc.spent[i]) > 1e-9 {
				t.Errorf("%s: objective %s met %v spent %v, want %v %v", tc.name, o.Name, o.Met, o.BudgetSpent, tc.met[i], tc.spent[i])
			}
		}
	}
}
