package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// WeekTime is a time of the week on a wall clock: a weekday and a time of
// day, such as "Fri 16:00".
type WeekTime struct {
	Day          time.Weekday
	Hour, Minute int
}

// minutes is the WeekTime's offset from Sunday 00:00 in minutes.
func (w WeekTime) minutes() int { return int(w.Day)*24*60 + w.Hour*60 + w.Minute }

// String writes the WeekTime as it is written in config: "Fri 16:00".
func (w WeekTime) String() string {
	return fmt.Sprintf("%s %02d:%02d", w.Day.String()[:3], w.Hour, w.Minute)
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWeekTime reads "DAY HH:MM": a weekday (Mon, tue, Friday; any case)
// and a 24-hour time.
func ParseWeekTime(s string) (WeekTime, error) {
	fields := strings.Fields(s)
	bad := func(why string) (WeekTime, error) {
		return WeekTime{}, fmt.Errorf("%q: %s: write a weekday and a 24-hour time such as \"Fri 16:00\"", s, why)
	}
	if len(fields) != 2 {
		return bad("not a weekday and a time")
	}
	name := strings.ToLower(fields[0])
	day, ok := weekdays[name]
	if !ok && len(name) > 3 {
		day, ok = weekdays[name[:3]]
		ok = ok && strings.EqualFold(fields[0], day.String())
	}
	if !ok {
		return bad("unknown weekday " + strconv.Quote(fields[0]))
	}
	hh, mm, found := strings.Cut(fields[1], ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !found || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return bad("bad time " + strconv.Quote(fields[1]))
	}
	return WeekTime{Day: day, Hour: h, Minute: m}, nil
}

// Freeze is a parsed freeze window.
type Freeze struct {
	Name     string
	From, To WeekTime
	Loc      *time.Location
}

// ParseFreeze checks a freeze window: both ends and the time zone.
func ParseFreeze(f model.FreezeWindow) (Freeze, error) {
	from, err := ParseWeekTime(f.From)
	if err != nil {
		return Freeze{}, fmt.Errorf("freeze window %s from: %w", f.Name, err)
	}
	to, err := ParseWeekTime(f.To)
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
	from, to := f.From.minutes(), f.To.minutes()
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
	end := time.Date(y, mo, d+days, f.To.Hour, f.To.Minute, 0, 0, f.Loc)
	if !end.After(local) {
		end = time.Date(y, mo, d+days+7, f.To.Hour, f.To.Minute, 0, 0, f.Loc)
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
