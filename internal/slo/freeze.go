package slo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// minutes is a week time's offset from Sunday 00:00 in minutes.
func minutes(w model.WeekTime) int { return int(w.Day)*24*60 + w.Minute }

// Freeze is a parsed freeze window.
type Freeze struct {
	Name     string
	From, To model.WeekTime
	Loc      *time.Location
}

// ParseFreeze checks a freeze window: both ends and the time zone.
func ParseFreeze(f model.FreezeWindow) (Freeze, error) {
	from, err := model.ParseWeekTime(f.From)
	if err != nil {
		return Freeze{}, fmt.Errorf("freeze window %s from: %w", f.Name, err)
	}
	to, err := model.ParseWeekTime(f.To)
	if err != nil {
		return Freeze{}, fmt.Errorf("freeze window %s to: %w", f.Name, err)
	}
	if from == to {
		return Freeze{}, fmt.Errorf("freeze window %s: from and to are both %s: a window needs a length", f.Name, from)
	}
	loc, err := location(f.TimeZone)
	if err != nil {
		return Freeze{}, fmt.Errorf("freeze window %s: %w", f.Name, err)
	}
	return Freeze{Name: f.Name, From: from, To: to, Loc: loc}, nil
}

// Contains reports whether now is inside the window, and when the window
// ends. Both ends are wall-clock times in the window's zone, so the window
// follows daylight saving time (it is an hour shorter or longer the weekend
// the clocks change); a window whose From comes later in the week than its
// To wraps over the week's end (Fri 16:00 to Mon 08:00).
func (f Freeze) Contains(now time.Time) (bool, time.Time) {
	local := now.In(f.Loc)
	m := int(local.Weekday())*24*60 + local.Hour()*60 + local.Minute()
	from, to := minutes(f.From), minutes(f.To)
	in := from <= m && m < to
	if from > to {
		in = m >= from || m < to
	}
	if !in {
		return false, time.Time{}
	}
	return true, f.nextEnd(local)
}

// nextEnd is the first time after local whose wall clock is f.To.
func (f Freeze) nextEnd(local time.Time) time.Time {
	days := (int(f.To.Day) - int(local.Weekday()) + 7) % 7
	y, mo, d := local.Date()
	end := time.Date(y, mo, d+days, f.To.Minute/60, f.To.Minute%60, 0, 0, f.Loc)
	if !end.After(local) {
		end = time.Date(y, mo, d+days+7, f.To.Minute/60, f.To.Minute%60, 0, 0, f.Loc)
	}
	return end
}

// String describes the window: `"weekend" (Fri 16:00 to Mon 08:00 Europe/Berlin)`.
func (f Freeze) String() string {
	name := ""
	if f.Name != "" {
		name = strconv.Quote(f.Name) + " "
	}
	return fmt.Sprintf("%s(%s to %s %s)", name, f.From, f.To, f.Loc)
}
