package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Slice is what one time slice of an SLI measured: the good and total
// events of a ratio SLI, or the value of a threshold SLI's metric.
//
// The no-data rule: a slice without data — a ratio slice with no events
// (Total 0, or NaN), a threshold slice without a value (HasValue false, or
// NaN) — is neither good nor bad. It is left out of both the good slices
// and the slices counted, so a window with no data at all has Counts{0, 0}:
// attainment 1 and the budget untouched (Counts.Attainment,
// BudgetRemaining). An outage that makes a service stop answering is seen
// as no data by a ratio SLI over its requests: measure it from outside (a
// probe) if it must burn budget.
type Slice struct {
	Good, Total float64
	Value       float64
	HasValue    bool
}

// SliceRatio is a ratio slice's good fraction, and false without data.
func SliceRatio(s Slice) (float64, bool) {
	if !(s.Total > 0) || math.IsNaN(s.Good) || math.IsInf(s.Total, 0) {
		return 0, false
	}
	return math.Min(1, math.Max(0, s.Good/s.Total)), true
}

// SliceGood says whether a slice is good for the objective, and false for
// data when it has none (see Slice). A ratio slice is good when its ratio
// is at least the objective's TimeSliceTarget (the objective's Target when
// TimeSliceTarget is 0); a threshold slice when its value satisfies the
// objective's Op and Value (lt: value < Value, lte: <=, gt: >, gte: >=).
func SliceGood(o model.Objective, threshold bool, s Slice) (good, data bool, err error) {
	if threshold {
		if !s.HasValue || math.IsNaN(s.Value) {
			return false, false, nil
		}
		ok, err := Compare(o.Op, s.Value, o.Value)
		return ok, true, err
	}
	r, ok := SliceRatio(s)
	if !ok {
		return false, false, nil
	}
	return r >= SliceTarget(o), true, nil
}

// SliceTarget is the ratio a slice must reach to be good: TimeSliceTarget,
// or the objective's Target when it names none.
func SliceTarget(o model.Objective) float64 {
	if o.TimeSliceTarget > 0 {
		return o.TimeSliceTarget
	}
	return o.Target
}

// Compare applies a threshold objective's operator: value op bound.
func Compare(op string, value, bound float64) (bool, error) {
	switch op {
	case "lt":
		return value < bound, nil
	case "lte":
		return value <= bound, nil
	case "gt":
		return value > bound, nil
	case "gte":
		return value >= bound, nil
	}
	return false, fmt.Errorf("objective op %q: write lt, lte, gt or gte", op)
}

// TimesliceCounts counts a Timeslices objective over slices: Good is the
// good slices, Total the slices with data (the no-data rule of Slice).
// Attainment is then the fraction of good slices.
func TimesliceCounts(o model.Objective, threshold bool, slices []Slice) (Counts, error) {
	var c Counts
	for _, s := range slices {
		good, data, err := SliceGood(o, threshold, s)
		if err != nil {
			return Counts{}, err
		}
		if !data {
			continue
		}
		c.Total++
		if good {
			c.Good++
		}
	}
	return c, nil
}

// RatioTimesliceCounts counts a RatioTimeslices objective: Good is the sum
// of the slices' good ratios and Total the slices with data, so that
// Good/Total (the attainment) is the mean of the slice ratios, each slice
// weighing the same however many events it had. Slices without events are
// left out (the no-data rule of Slice).
func RatioTimesliceCounts(slices []Slice) Counts {
	var c Counts
	for _, s := range slices {
		if r, ok := SliceRatio(s); ok {
			c.Good += r
			c.Total++
		}
	}
	return c
}

// SliceBounds are the whole slices of width inside [from, to), aligned to
// the Unix epoch as Prometheus aligns subquery steps: slice i is
// [starts[i], starts[i]+width). Partial slices at either end are left out
// (the slice in progress at to is counted once it ends).
func SliceBounds(from, to time.Time, width time.Duration) ([]time.Time, error) {
	if width <= 0 {
		return nil, fmt.Errorf("timeSliceWindow %s: write a positive duration such as 1m", width)
	}
	if n := to.Sub(from) / width; n > 1_000_000 {
		return nil, fmt.Errorf("timeSliceWindow %s makes %d slices in the window: write a longer slice (at most a million slices)", width, n)
	}
	first := time.UnixMilli(ceilDiv(from.UnixMilli(), width.Milliseconds()) * width.Milliseconds()).In(from.Location())
	var out []time.Time
	for s := first; !s.Add(width).After(to); s = s.Add(width) {
		out = append(out, s)
	}
	return out, nil
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}
