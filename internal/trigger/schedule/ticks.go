package schedule

import "time"

// Decision is what one look at a schedule does.
type Decision struct {
	// Fire are the ticks to start, oldest first.
	Fire []time.Time
	// Last is the cursor to save: the latest tick handled (fired or
	// skipped), or now on the first look.
	Last time.Time
	// Missed is the latest tick that passed unseen, more than Grace ago
	// (zero when none); fired under runOnce unless a tick due now fires.
	Missed time.Time
}

// Decide says which ticks of s fire at now, given the last tick handled
// (nil on the first look ever, which only remembers now: a new trigger
// does not fire for the past). A tick after last that is at most Grace old
// is due and fires; older ones were missed while no server ran: missed
// "skip" (the default) fires none of them, "runOnce" fires the latest one
// when no due tick fires.
func Decide(s Schedule, last *time.Time, now time.Time, missed string) Decision {
	return DecideRunning(s, last, now, missed, time.Time{})
}

// DecideRunning is Decide for a server running since running (zero: not
// known): a tick at or after running passed while this server ran, so it
// is due however late it is seen (the store was down, the look kept
// failing) and never counted as missed.
func DecideRunning(s Schedule, last *time.Time, now time.Time, missed string, running time.Time) Decision {
	if last == nil {
		return Decision{Last: now}
	}
	d := Decision{Last: *last}
	dueAfter := now.Add(-Grace)
	if !running.IsZero() && running.Before(dueAfter) {
		dueAfter = running.Add(-time.Nanosecond) // Next is strictly after
	}
	if last.After(dueAfter) {
		dueAfter = *last
	} else {
		d.Missed = latestTick(s, *last, dueAfter)
	}
	for t := s.Next(dueAfter); !t.IsZero() && !t.After(now); t = s.Next(t) {
		d.Fire = append(d.Fire, t)
	}
	switch {
	case len(d.Fire) > 0:
		d.Last = d.Fire[len(d.Fire)-1]
	case !d.Missed.IsZero():
		d.Last = d.Missed
		if missed == MissedRunOnce {
			d.Fire = []time.Time{d.Missed}
		}
	}
	return d
}

// searchWindows bound the search for the latest tick in a long interval:
// a dense schedule finds it in the first, short window; a sparse one in a
// longer window with few ticks; only a schedule with none in five years is
// scanned from the start.
var searchWindows = []time.Duration{time.Hour, 24 * time.Hour, 35 * 24 * time.Hour, 366 * 24 * time.Hour, 5 * 366 * 24 * time.Hour}

// latestTick is the latest tick t of s with after < t <= until, or zero.
func latestTick(s Schedule, after, until time.Time) time.Time {
	for i := 0; ; i++ {
		from, final := after, true
		if i < len(searchWindows) {
			if w := until.Add(-searchWindows[i]); w.After(after) {
				from, final = w, false
			}
		}
		var latest time.Time
		for t := s.Next(from); !t.IsZero() && !t.After(until); t = s.Next(t) {
			latest = t
		}
		if !latest.IsZero() || final {
			return latest
		}
	}
}
