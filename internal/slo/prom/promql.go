package prom

import (
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
)

// Indicator is a ratio SLI's queries checked for Prometheus: Total and
// exactly one of Good or Bad, each a counter selector.
type Indicator struct {
	Good, Bad, Total Selector
	HasGood          bool
}

// RatioIndicator checks that an SLO's SLI is a Prometheus ratio of counter
// selectors, naming the SLO and the query when it is not.
func RatioIndicator(s model.SLO) (Indicator, error) {
	ind := s.Indicator
	if ind.Threshold != nil {
		return Indicator{}, fmt.Errorf("SLO %s: indicator.threshold: Prometheus rules and counts cover ratio SLIs (good or bad over total); write the SLI as a ratio of counters", s.Name)
	}
	if ind.Total == nil || (ind.Good == nil) == (ind.Bad == nil) {
		return Indicator{}, fmt.Errorf("SLO %s: indicator: a ratio SLI needs total and exactly one of good or bad", s.Name)
	}
	var out Indicator
	parse := func(field string, q *model.MetricQuery) (Selector, error) {
		if q.Source != model.SLOSourcePrometheus {
			return Selector{}, fmt.Errorf("SLO %s: indicator.%s is measured by %q, not Prometheus", s.Name, field, q.Source)
		}
		sel, err := ParseSelector(q.Query)
		if err != nil {
			return Selector{}, fmt.Errorf("SLO %s: indicator.%s query %q: %w", s.Name, field, q.Query, err)
		}
		return sel, nil
	}
	var err error
	if out.Total, err = parse("total", ind.Total); err != nil {
		return out, err
	}
	if ind.Good != nil {
		out.HasGood = true
		out.Good, err = parse("good", ind.Good)
	} else {
		out.Bad, err = parse("bad", ind.Bad)
	}
	return out, err
}

// Duration renders a window as a PromQL duration in days, hours, minutes,
// seconds and milliseconds (28d, 1h30m, 5m), to the millisecond; weeks
// and years are not used, so 28d stays 28d.
func Duration(d time.Duration) string {
	d = d.Truncate(time.Millisecond)
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	return b.String()
}

// Increase is the PromQL of a counter selector's increase over window w,
// summed over every series it selects: sum(increase(<sel>[w])).
func Increase(sel Selector, w time.Duration) string {
	return fmt.Sprintf("sum(increase(%s[%s]))", sel, Duration(w))
}

// Occurrences are the expressions that count a ratio SLI over window w
// ending at the evaluation time: total events, and good or bad events.
type Occurrences struct {
	Total string
	Good  string // when the SLI counts good events
	Bad   string // when it counts bad events
}

// OccurrencesOver returns the window's expressions.
func (in Indicator) OccurrencesOver(w time.Duration) Occurrences {
	o := Occurrences{Total: Increase(in.Total, w)}
	if in.HasGood {
		o.Good = Increase(in.Good, w)
	} else {
		o.Bad = Increase(in.Bad, w)
	}
	return o
}

// ErrorRatio is the PromQL of the error ratio over window w: bad over
// total events, matching slo.Counts.ErrorRatio.
//
//	good SLI: clamp_min(sum(increase(total[w])) - (sum(increase(good[w])) or vector(0)), 0) / sum(increase(total[w]))
//	bad SLI:  (sum(increase(bad[w])) or vector(0)) / sum(increase(total[w]))
//
// With no total events it has no value (0/0 is NaN) where gennaker says 0.
func (in Indicator) ErrorRatio(w time.Duration) string {
	o := in.OccurrencesOver(w)
	if in.HasGood {
		return fmt.Sprintf("clamp_min(%s - (%s or vector(0)), 0) / %s", o.Total, o.Good, o.Total)
	}
	return fmt.Sprintf("(%s or vector(0)) / %s", o.Bad, o.Total)
}

// SliceRatio is the PromQL of one time slice's good ratio, ending at the
// evaluation time, without a value when the slice has no events (the
// no-data rule of slo.Slice):
//
//	good SLI: clamp_max((sum(increase(good[s])) or vector(0)) / (sum(increase(total[s])) > 0), 1)
//	bad SLI:  clamp_min(1 - (sum(increase(bad[s])) or vector(0)) / (sum(increase(total[s])) > 0), 0)
func (in Indicator) SliceRatio(slice time.Duration) string {
	o := in.OccurrencesOver(slice)
	if in.HasGood {
		return fmt.Sprintf("clamp_max((%s or vector(0)) / (%s > 0), 1)", o.Good, o.Total)
	}
	return fmt.Sprintf("clamp_min(1 - (%s or vector(0)) / (%s > 0), 0)", o.Bad, o.Total)
}

// Timeslices are the expressions that count a Timeslices or
// RatioTimeslices objective over window w, as subqueries stepping by the
// slice s. Prometheus aligns subquery steps to the Unix epoch; each step
// evaluates the slice that ends there. The subquery's range is w-s, so the
// slices counted are the whole slices inside the window, exactly those of
// slo.SliceBounds (Prometheus 2.x includes a step at the range's start;
// 3.x leaves it out, and with it a slice starting exactly at the window's
// start).
//
//	slices with data:  count_over_time((<slice ratio>)[w-s:s])
//	Timeslices good:   count_over_time((<slice ratio> >= <timeSliceTarget>)[w-s:s])
//	RatioTimeslices:   sum_over_time((<slice ratio>)[w-s:s])
type Timeslices struct {
	Total, Good string
}

// TimeslicesOver returns the window's expressions for objective o.
func (in Indicator) TimeslicesOver(method model.BudgetingMethod, o model.Objective, w time.Duration) (Timeslices, error) {
	s := o.TimeSliceWindow.D()
	if s <= 0 {
		return Timeslices{}, fmt.Errorf("objective %q: timeSliceWindow is required by %s budgeting: write one such as 1m", o.Name, method)
	}
	ratio := in.SliceRatio(s)
	sub, err := subquery(w, s)
	if err != nil {
		return Timeslices{}, fmt.Errorf("objective %q: %w", o.Name, err)
	}
	ts := Timeslices{Total: fmt.Sprintf("count_over_time((%s)%s)", ratio, sub)}
	switch method {
	case model.BudgetTimeslices:
		ts.Good = fmt.Sprintf("count_over_time((%s >= %s)%s)", ratio, float(slo.SliceTarget(o)), sub)
	case model.BudgetRatioTimeslices:
		ts.Good = fmt.Sprintf("sum_over_time((%s)%s)", ratio, sub)
	default:
		return Timeslices{}, fmt.Errorf("budgeting method %q has no time slices", method)
	}
	return ts, nil
}

// subquery is the range and step that visit the slices of width s inside
// a window of length w (see Timeslices).
func subquery(w, s time.Duration) (string, error) {
	if w < s {
		return "", fmt.Errorf("the window %s is shorter than timeSliceWindow %s: no slice fits", Duration(w), Duration(s))
	}
	if w/s > 1_000_000 {
		return "", fmt.Errorf("timeSliceWindow %s makes more than a million slices in %s: write a longer slice", Duration(s), Duration(w))
	}
	if w == s {
		return fmt.Sprintf("[%s:%s]", Duration(time.Millisecond), Duration(s)), nil // the one slice ending now, when aligned
	}
	return fmt.Sprintf("[%s:%s]", Duration(w-s), Duration(s)), nil
}

// float renders a number for PromQL without exponent surprises.
func float(f float64) string {
	s := fmt.Sprintf("%.12g", f)
	if strings.ContainsAny(s, "e") {
		s = fmt.Sprintf("%.15f", f)
	}
	return s
}

// comparison is PromQL's filter for a threshold objective's op.
var comparison = map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

// ThresholdTimeslices are the expressions that count a Timeslices
// objective of a threshold SLI over window w: the query is evaluated at the
// end of each slice (a subquery stepping by timeSliceWindow, aligned to the
// Unix epoch), and a slice is good when its value satisfies op and value:
//
//	slices with data:  sum(count_over_time((<query>)[w-s:s]))
//	good slices:       sum(count_over_time((<query> <op> <value>)[w-s:s]))
//
// The query should return one series (aggregate it); each series of each
// slice counts as a slice.
func ThresholdTimeslices(query string, o model.Objective, w time.Duration) (Timeslices, error) {
	s := o.TimeSliceWindow.D()
	if s <= 0 {
		return Timeslices{}, fmt.Errorf("objective %q: timeSliceWindow is required by Timeslices budgeting: write one such as 1m", o.Name)
	}
	op, ok := comparison[o.Op]
	if !ok {
		return Timeslices{}, fmt.Errorf("objective %q: op %q: write lt, lte, gt or gte", o.Name, o.Op)
	}
	if q := strings.TrimSpace(query); q == "" || len(q) > 4096 {
		return Timeslices{}, fmt.Errorf("threshold query %q: write a PromQL expression of at most 4096 characters that returns one series", query)
	}
	sub, err := subquery(w, s)
	if err != nil {
		return Timeslices{}, fmt.Errorf("objective %q: %w", o.Name, err)
	}
	return Timeslices{
		Total: fmt.Sprintf("sum(count_over_time((%s)%s))", query, sub),
		Good:  fmt.Sprintf("sum(count_over_time(((%s) %s %s)%s))", query, op, float(o.Value), sub),
	}, nil
}
