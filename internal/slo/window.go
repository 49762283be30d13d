package slo

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// unitDuration is the fixed length of the units that have one.
var unitDuration = map[string]time.Duration{
	"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// WindowLength is a window's nominal length at now: exact for m, h, d and
// w; for calendar units (M, Q, Y) the length of the period containing now
// (a rolling month is the calendar month's length before now).
func WindowLength(w model.SLOWindow, now time.Time) (time.Duration, error) {
	from, to, err := WindowBounds(w, now)
	if err != nil {
		return 0, err
	}
	if w.Rolling {
		return to.Sub(from), nil
	}
	_, end, err := calendarPeriod(w, now)
	if err != nil {
		return 0, err
	}
	return end.Sub(from), nil
}

// WindowBounds returns the part of the window an evaluation at now looks
// at, [from, to): for a rolling window the last Count Units before now; for
// a calendar window from the start of the current period (periods of Count
// Units from Start, in TimeZone) to now.
func WindowBounds(w model.SLOWindow, now time.Time) (from, to time.Time, err error) {
	if w.Count <= 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("window count %d: write a positive length such as 28d or 1M", w.Count)
	}
	if w.Rolling {
		if d, ok := unitDuration[w.Unit]; ok {
			return now.Add(-time.Duration(w.Count) * d), now, nil
		}
		loc, err := location(w.TimeZone)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		y, m, _ := monthsYears(w)
		return subMonths(now.In(loc), 12*y+m), now, nil
	}
	start, _, err := calendarPeriod(w, now)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, now, nil
}

// calendarPeriod is the calendar period [start, end) that contains now.
func calendarPeriod(w model.SLOWindow, now time.Time) (start, end time.Time, err error) {
	loc, err := location(w.TimeZone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	anchor := w.Start
	if anchor.IsZero() {
		anchor = time.Date(2000, 1, 1, 0, 0, 0, 0, loc) // a Saturday; weeks anchor on Monday below
		if w.Unit == "w" {
			anchor = time.Date(2000, 1, 3, 0, 0, 0, 0, loc)
		}
	} else {
		a := anchor.In(loc)
		anchor = time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second(), 0, loc)
	}
	step := func(t time.Time, n int) time.Time {
		if d, ok := unitDuration[w.Unit]; ok {
			if d >= 24*time.Hour { // days and weeks follow the wall clock across DST
				return t.AddDate(0, 0, n*w.Count*int(d/(24*time.Hour)))
			}
			return t.Add(time.Duration(n*w.Count) * d)
		}
		y, m, _ := monthsYears(w)
		return t.AddDate(n*y, n*m, 0)
	}
	if now.Before(anchor) {
		return time.Time{}, time.Time{}, fmt.Errorf("the calendar window starts at %s, after now", anchor.Format(time.RFC3339))
	}
	// Jump close with the nominal length, then walk.
	n := 0
	if d := nominal(w); d > 0 {
		n = max(0, int(now.Sub(anchor)/d)-1)
	}
	start = step(anchor, n)
	for {
		next := step(anchor, n+1)
		if next.After(now) {
			return start, next, nil
		}
		n++
		start = next
	}
}

// nominal is the longest a period can be, so a jump by it never passes now.
func nominal(w model.SLOWindow) time.Duration {
	if d, ok := unitDuration[w.Unit]; ok {
		return time.Duration(w.Count)*d + time.Hour // a DST day is 25 h
	}
	y, m, _ := monthsYears(w)
	return time.Duration(y*366+m*31) * 24 * time.Hour
}

// subMonths goes back n months to the same day and time, or to the last day
// of that month when it is shorter (31 March - 1 month = 28 February), as
// people count months; Go's AddDate would land in March.
func subMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()).AddDate(0, -n, 0)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}

// monthsYears converts M, Q and Y into years and months for AddDate.
func monthsYears(w model.SLOWindow) (years, months, days int) {
	switch w.Unit {
	case "M":
		return 0, w.Count, 0
	case "Q":
		return 0, 3 * w.Count, 0
	case "Y":
		return w.Count, 0, 0
	}
	return 0, 0, 0
}

func location(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w: write an IANA zone such as Europe/Berlin", tz, err)
	}
	return loc, nil
}
