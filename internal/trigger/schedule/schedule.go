// Package schedule starts pipelines on a cron schedule: the Poller of
// trigger source "schedule".
//
// A schedule's ticks are instants, so a tick is one delivery everywhere:
// its DeliveryID is the instant in UTC, and the Starter starts it once
// across restarts and replicas. What to fire at a look is decided by the
// pure Decide (ticks.go); the Poller only reads the clock and the cursor.
package schedule

import (
	"fmt"
	"time"
	_ "time/tzdata" // IANA zones also where the host has none (a scratch container)

	"github.com/robfig/cron/v3"

	"github.com/gennaker/gennaker/internal/model"
)

// Missed-tick policies of model.ScheduleTrigger.Missed.
const (
	// MissedSkip fires none of the ticks that passed while no server ran (the default).
	MissedSkip = "skip"
	// MissedRunOnce fires one run, for the latest of the ticks that passed
	// while no server ran, unless a tick due now fires anyway.
	MissedRunOnce = "runOnce"
)

// Grace is how late a tick may be seen and still count as due now rather
// than missed: a loop that wakes a little late, or a short restart, still
// fires it.
const Grace = time.Minute

// Schedule is a parsed schedule trigger: its cron expression evaluated in
// its time zone.
type Schedule struct {
	cron cron.Schedule
	loc  *time.Location
}

// Parse reads a schedule trigger's Cron (five fields, or a descriptor such
// as @daily or @every 2h) and TimeZone (IANA, default UTC).
func Parse(spec model.ScheduleTrigger) (Schedule, error) {
	loc := time.UTC
	if spec.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(spec.TimeZone); err != nil {
			return Schedule{}, fmt.Errorf("schedule timeZone %q is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC): %w", spec.TimeZone, err)
		}
	}
	c, err := cron.ParseStandard(spec.Cron)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule cron %q: %w: write five fields (minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\") or a descriptor such as @daily", spec.Cron, err)
	}
	if every, ok := c.(cron.ConstantDelaySchedule); ok {
		// robfig counts @every from the time it is asked about, which
		// differs between replicas and restarts; ticks must be the same
		// instants everywhere, so count them from a fixed origin.
		c = anchored{every.Delay}
	}
	return Schedule{cron: c, loc: loc}, nil
}

// Location is the zone the schedule is evaluated in.
func (s Schedule) Location() *time.Location { return s.loc }

// Next is the first tick strictly after t (zero when there is none within
// five years, e.g. "0 0 30 2 *"). A wall-clock time that a fall-back
// transition repeats ticks once, at its first occurrence; one that a
// spring-forward transition skips does not tick that day.
func (s Schedule) Next(t time.Time) time.Time {
	for range 4 {
		t = s.cron.Next(t.In(s.loc))
		if t.IsZero() || !s.repeatsWallClock(t) {
			return t
		}
	}
	return t
}

// repeatsWallClock reports whether the wall-clock time of t already
// happened a little earlier (the hour a fall-back transition repeats).
func (s Schedule) repeatsWallClock(t time.Time) bool {
	wall := t.In(s.loc).Format(time.DateTime)
	for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if t.Add(-back).In(s.loc).Format(time.DateTime) == wall {
			return true
		}
	}
	return false
}

// anchored ticks every d counted from a fixed origin (Go's zero time), so
// every replica sees the same instants.
type anchored struct{ d time.Duration }

func (a anchored) Next(t time.Time) time.Time { return t.Truncate(a.d).Add(a.d) }
