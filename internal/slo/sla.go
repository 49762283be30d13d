package slo

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// MonthLayout is how an SLA report's month is written: 2026-11.
const MonthLayout = "2006-01"

// MonthBounds returns the calendar month written as YYYY-MM, [from, to),
// in the time zone tz (IANA, "" for UTC): an SLA month starts at the local
// midnight of its first day, as the people who signed the SLA count it.
func MonthBounds(month, tz string) (from, to time.Time, err error) {
	loc, err := location(tz)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	m, err := time.ParseInLocation(MonthLayout, month, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("month %q: write it as YYYY-MM, e.g. 2026-11", month)
	}
	return m, m.AddDate(0, 1, 0), nil
}

// MonthOf is the month (YYYY-MM) containing t in the time zone tz.
func MonthOf(t time.Time, tz string) (string, error) {
	loc, err := location(tz)
	if err != nil {
		return "", err
	}
	return t.In(loc).Format(MonthLayout), nil
}

// SLAObjective is one objective's standing over an SLA month.
type SLAObjective struct {
	Name   string  `json:"name,omitempty"`
	Target float64 `json:"target"`
	// Good and Total are the month's events (Occurrences) or slices
	// (Timeslices).
	Good  float64 `json:"good"`
	Total float64 `json:"total"`
	// Attainment is Good/Total (1 with no data).
	Attainment float64 `json:"attainment"`
	// Met says the attainment reached the target.
	Met bool `json:"met"`
	// BudgetSpent is the fraction of the month's error budget the bad
	// events used: 0 none, 1 all of it, above 1 overspent.
	BudgetSpent float64 `json:"budgetSpent"`
}

// SLAReport is one SLO's attainment over one calendar month.
type SLAReport struct {
	SLO         string `json:"slo"`
	DisplayName string `json:"displayName,omitempty"`
	Application string `json:"application"`
	Environment string `json:"environment,omitempty"`
	// Month is YYYY-MM in TimeZone; From and To bound it.
	Month    string    `json:"month"`
	TimeZone string    `json:"timeZone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Partial says the month was not over when the report was made: its
	// numbers count up to then.
	Partial    bool           `json:"partial,omitempty"`
	Objectives []SLAObjective `json:"objectives"`
	// Met says every objective was met; NoData that nothing was counted.
	Met    bool `json:"met"`
	NoData bool `json:"noData,omitempty"`
	// Error says why the month could not be counted ("" when it was).
	Error string `json:"error,omitempty"`
}

// SLA decides an SLO's month from the month's counts of each objective
// (counts[i] for s.Objectives[i]; missing ones count as no data). now
// marks a month not yet over as partial.
func SLA(s model.SLO, month string, from, to, now time.Time, counts []Counts) SLAReport {
	tz := s.Window.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	r := SLAReport{SLO: s.Name, DisplayName: s.DisplayName, Application: s.Application, Environment: s.Environment,
		Month: month, TimeZone: tz, From: from, To: to, Partial: now.Before(to), Met: true, NoData: true}
	for i, o := range s.Objectives {
		var c Counts
		if i < len(counts) {
			c = counts[i]
		}
		st := Objective(o, c)
		so := SLAObjective{Name: o.Name, Target: o.Target, Good: c.Good, Total: c.Total,
			Attainment: st.Attainment, Met: st.Attainment >= o.Target, BudgetSpent: 1 - st.BudgetRemaining}
		r.Met = r.Met && so.Met
		r.NoData = r.NoData && c.Total <= 0
		r.Objectives = append(r.Objectives, so)
	}
	return r
}
