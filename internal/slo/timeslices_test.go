package slo

import (
	"math"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestTimesliceCounts(t *testing.T) {
	ratio := model.Objective{Target: 0.99, TimeSliceTarget: 0.95, TimeSliceWindow: model.Duration(time.Minute)}
	latency := model.Objective{Target: 0.9, Op: "lt", Value: 0.3}
	cases := []struct {
		name      string
		o         model.Objective
		threshold bool
		slices    []Slice
		want      Counts
	}{
		{"ratio slices at, above and below the slice target", ratio, false,
			[]Slice{{Good: 95, Total: 100}, {Good: 100, Total: 100}, {Good: 94, Total: 100}}, Counts{Good: 2, Total: 3}},
		{"slices without events are left out", ratio, false,
			[]Slice{{Good: 0, Total: 0}, {Good: 1, Total: 1}, {Good: math.NaN(), Total: math.NaN()}}, Counts{Good: 1, Total: 1}},
		{"no data at all", ratio, false, []Slice{{}, {}}, Counts{}},
		{"slice target defaults to the target", model.Objective{Target: 0.99}, false,
			[]Slice{{Good: 99, Total: 100}, {Good: 98, Total: 100}}, Counts{Good: 1, Total: 2}},
		{"threshold lt", latency, true,
			[]Slice{{Value: 0.29, HasValue: true}, {Value: 0.3, HasValue: true}, {}, {Value: math.NaN(), HasValue: true}}, Counts{Good: 1, Total: 2}},
		{"threshold gte", model.Objective{Op: "gte", Value: 5}, true,
			[]Slice{{Value: 5, HasValue: true}, {Value: 4.9, HasValue: true}}, Counts{Good: 1, Total: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := TimesliceCounts(c.o, c.threshold, c.slices)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("counts %+v, want %+v", got, c.want)
			}
		})
	}
	if _, err := TimesliceCounts(model.Objective{Op: "below"}, true, []Slice{{HasValue: true}}); err == nil {
		t.Error("an unknown op was accepted")
	}
}

func TestRatioTimesliceCounts(t *testing.T) {
	// One busy bad slice and three quiet good ones: the mean of the ratios
	// weighs each slice the same, unlike Occurrences.
	c := RatioTimesliceCounts([]Slice{{Good: 0, Total: 1000}, {Good: 1, Total: 1}, {Good: 1, Total: 1}, {Good: 1, Total: 1}, {}})
	if c.Total != 4 || c.Good != 3 || c.Attainment() != 0.75 {
		t.Errorf("counts %+v attainment %g, want 3/4", c, c.Attainment())
	}
	if c := RatioTimesliceCounts(nil); c.Attainment() != 1 || BudgetRemaining(0.9, c) != 1 {
		t.Errorf("no data: %+v, want attainment 1 and the budget untouched", c)
	}
}

func TestSliceBounds(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	to := time.Date(2026, 1, 1, 0, 3, 10, 0, time.UTC)
	got, err := SliceBounds(from, to, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{from.Add(30 * time.Second), from.Add(90 * time.Second)}
	if len(got) != len(want) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Errorf("slices %v, want %v", got, want)
	}
	if _, err := SliceBounds(from, to, 0); err == nil {
		t.Error("a zero slice was accepted")
	}
}
