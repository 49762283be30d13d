package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WeekTime is a moment of a week, as freeze windows write it: "Fri 16:00".
type WeekTime struct {
	Day time.Weekday
	// Minute counts minutes after midnight, 0 to 1439.
	Minute int
}

// ParseWeekTime reads a weekday (Mon, Tue, ... or the full name, any case)
// and a 24-hour time HH:MM, such as "Fri 16:00".
func ParseWeekTime(s string) (WeekTime, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(s), " ")
	bad := fmt.Errorf("%q is not a day and time of the week: write a weekday and a 24-hour time, such as \"Fri 16:00\"", s)
	if !ok {
		return WeekTime{}, bad
	}
	var wt WeekTime
	found := false
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := d.String()
		if strings.EqualFold(day, name) || strings.EqualFold(day, name[:3]) {
			wt.Day, found = d, true
		}
	}
	if !found {
		return WeekTime{}, bad
	}
	hh, mm, ok := strings.Cut(strings.TrimSpace(clock), ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || len(mm) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return WeekTime{}, bad
	}
	wt.Minute = h*60 + m
	return wt, nil
}

// String writes the moment as ParseWeekTime reads it.
func (w WeekTime) String() string {
	return fmt.Sprintf("%s %02d:%02d", w.Day.String()[:3], w.Minute/60, w.Minute%60)
}
