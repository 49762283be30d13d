package schedule

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustParse(t *testing.T, cron, tz string) Schedule {
	t.Helper()
	s, err := Parse(model.ScheduleTrigger{Cron: cron, TimeZone: tz})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecide(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ptr := func(s string) *time.Time { v := utc(s); return &v }
	tests := []struct {
		name       string
		cron, tz   string
		missed     string
		last       *time.Time
		now        string
		fire       []string // UTC
		wantLast   string
		wantMissed string
	}{
		{name: "first look remembers now and fires nothing", cron: "0 2 * * *",
			now: "2026-12-04T02:00:00Z", wantLast: "2026-12-04T02:00:00Z"},
		{name: "a tick due now fires", cron: "@hourly", last: ptr("2026-12-04T01:00:00Z"),
			now: "2026-12-04T02:00:00Z", fire: []string{"2026-12-04T02:00:00Z"}, wantLast: "2026-12-04T02:00:00Z"},
		{name: "a loop that wakes late within the grace still fires", cron: "@hourly", last: ptr("2026-12-04T01:00:00Z"),
			now: "2026-12-04T02:00:59Z", fire: []string{"2026-12-04T02:00:00Z"}, wantLast: "2026-12-04T02:00:00Z"},
		{name: "between ticks nothing fires and the cursor stays", cron: "@hourly", last: ptr("2026-12-04T02:00:00Z"),
			now: "2026-12-04T02:30:00Z", wantLast: "2026-12-04T02:00:00Z"},
		{name: "a tick handled already does not fire again", cron: "@hourly", last: ptr("2026-12-04T02:00:00Z"),
			now: "2026-12-04T02:00:30Z", wantLast: "2026-12-04T02:00:00Z"},
		{name: "restart after a missed tick: skip fires none", cron: "@hourly", last: ptr("2026-12-04T01:00:00Z"),
			now: "2026-12-04T02:05:00Z", wantLast: "2026-12-04T02:00:00Z", wantMissed: "2026-12-04T02:00:00Z"},
		{name: "restart after a missed tick: runOnce fires it", cron: "@hourly", missed: MissedRunOnce, last: ptr("2026-12-04T01:00:00Z"),
			now: "2026-12-04T02:05:00Z", fire: []string{"2026-12-04T02:00:00Z"}, wantLast: "2026-12-04T02:00:00Z", wantMissed: "2026-12-04T02:00:00Z"},
		{name: "down three days: runOnce fires only the latest missed tick", cron: "0 2 * * *", missed: MissedRunOnce, last: ptr("2026-12-01T02:00:00Z"),
			now: "2026-12-04T01:00:00Z", fire: []string{"2026-12-03T02:00:00Z"}, wantLast: "2026-12-03T02:00:00Z", wantMissed: "2026-12-03T02:00:00Z"},
		{name: "down three days: skip fires none", cron: "0 2 * * *", missed: MissedSkip, last: ptr("2026-12-01T02:00:00Z"),
			now: "2026-12-04T01:00:00Z", wantLast: "2026-12-03T02:00:00Z", wantMissed: "2026-12-03T02:00:00Z"},
		{name: "runOnce with a tick due now: the due tick is the one run", cron: "0 2 * * *", missed: MissedRunOnce, last: ptr("2026-12-01T02:00:00Z"),
			now: "2026-12-03T02:00:30Z", fire: []string{"2026-12-03T02:00:00Z"}, wantLast: "2026-12-03T02:00:00Z", wantMissed: "2026-12-02T02:00:00Z"},
		{name: "every minute: only ticks within the grace are due", cron: "* * * * *", last: ptr("2026-12-04T12:00:00Z"),
			now: "2026-12-04T12:01:30Z", fire: []string{"2026-12-04T12:01:00Z"}, wantLast: "2026-12-04T12:01:00Z"},
		{name: "every minute, a loop a minute late fires both due ticks", cron: "* * * * *", last: ptr("2026-12-04T12:00:00Z"),
			now: "2026-12-04T12:01:00Z", fire: []string{"2026-12-04T12:01:00Z"}, wantLast: "2026-12-04T12:01:00Z"},
		{name: "every minute, down a year: runOnce finds the latest missed tick", cron: "* * * * *", missed: MissedRunOnce, last: ptr("2025-12-04T12:00:00Z"),
			now: "2026-12-04T12:00:30Z", fire: []string{"2026-12-04T12:00:00Z"}, wantLast: "2026-12-04T12:00:00Z", wantMissed: "2026-12-04T11:59:00Z"},
		{name: "a sparse schedule, down two years: runOnce finds the leap day", cron: "0 0 29 2 *", missed: MissedRunOnce, last: ptr("2023-01-01T00:00:00Z"),
			now: "2026-12-04T00:00:00Z", fire: []string{"2024-02-29T00:00:00Z"}, wantLast: "2024-02-29T00:00:00Z", wantMissed: "2024-02-29T00:00:00Z"},
		{name: "nightly 02:00 Berlin in winter is 01:00 UTC", cron: "0 2 * * *", tz: "Europe/Berlin", last: ptr("2026-12-04T01:00:00Z"),
			now: "2026-12-05T01:00:10Z", fire: []string{"2026-12-05T01:00:00Z"}, wantLast: "2026-12-05T01:00:00Z"},
		{name: "nightly 02:00 Berlin in summer is 00:00 UTC", cron: "0 2 * * *", tz: "Europe/Berlin", last: ptr("2026-07-04T00:00:00Z"),
			now: "2026-07-05T00:00:10Z", fire: []string{"2026-07-05T00:00:00Z"}, wantLast: "2026-07-05T00:00:00Z"},

		// America/New_York springs forward on 2026-03-08 at 02:00 EST
		// (07:00 UTC) to 03:00 EDT, and falls back on 2026-11-01 at 02:00
		// EDT (06:00 UTC) to 01:00 EST.
		{name: "spring forward: a time in the skipped hour does not tick that day", cron: "30 2 * * *", tz: "America/New_York",
			last: ptr("2026-03-07T07:30:00Z"), now: "2026-03-08T07:30:30Z", wantLast: "2026-03-07T07:30:00Z"},
		{name: "spring forward: it ticks again the next day, in EDT", cron: "30 2 * * *", tz: "America/New_York",
			last: ptr("2026-03-07T07:30:00Z"), now: "2026-03-09T06:30:10Z", fire: []string{"2026-03-09T06:30:00Z"}, wantLast: "2026-03-09T06:30:00Z"},
		{name: "spring forward: 03:00 ticks at 03:00 EDT", cron: "0 3 * * *", tz: "America/New_York",
			last: ptr("2026-03-07T08:00:00Z"), now: "2026-03-08T07:00:10Z", fire: []string{"2026-03-08T07:00:00Z"}, wantLast: "2026-03-08T07:00:00Z"},
		{name: "spring forward: hourly ticks 01:00 EST then 03:00 EDT, an hour apart", cron: "@hourly", tz: "America/New_York",
			last: ptr("2026-03-08T06:00:00Z"), now: "2026-03-08T07:00:10Z", fire: []string{"2026-03-08T07:00:00Z"}, wantLast: "2026-03-08T07:00:00Z"},
		{name: "fall back: 01:30 ticks at its first occurrence (EDT)", cron: "30 1 * * *", tz: "America/New_York",
			last: ptr("2026-10-31T05:30:00Z"), now: "2026-11-01T05:30:10Z", fire: []string{"2026-11-01T05:30:00Z"}, wantLast: "2026-11-01T05:30:00Z"},
		{name: "fall back: the repeated 01:30 (EST) does not tick again", cron: "30 1 * * *", tz: "America/New_York",
			last: ptr("2026-11-01T05:30:00Z"), now: "2026-11-01T06:30:10Z", wantLast: "2026-11-01T05:30:00Z"},
		{name: "fall back: the next day 01:30 EST ticks", cron: "30 1 * * *", tz: "America/New_York",
			last: ptr("2026-11-01T05:30:00Z"), now: "2026-11-02T06:30:10Z", fire: []string{"2026-11-02T06:30:00Z"}, wantLast: "2026-11-02T06:30:00Z"},
		{name: "fall back: down across the night, runOnce fires the one 01:30", cron: "30 1 * * *", tz: "America/New_York", missed: MissedRunOnce,
			last: ptr("2026-10-31T05:30:00Z"), now: "2026-11-01T12:00:00Z", fire: []string{"2026-11-01T05:30:00Z"}, wantLast: "2026-11-01T05:30:00Z", wantMissed: "2026-11-01T05:30:00Z"},
		{name: "fall back: hourly skips the repeated 01:00 and ticks 02:00 EST", cron: "@hourly", tz: "America/New_York",
			last: ptr("2026-11-01T05:00:00Z"), now: "2026-11-01T07:00:10Z", fire: []string{"2026-11-01T07:00:00Z"}, wantLast: "2026-11-01T07:00:00Z"},
		{name: "@every counts from a fixed origin, not from the cursor", cron: "@every 15m",
			last: ptr("2026-12-04T12:07:00Z"), now: "2026-12-04T12:15:20Z", fire: []string{"2026-12-04T12:15:00Z"}, wantLast: "2026-12-04T12:15:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(mustParse(t, tt.cron, tt.tz), tt.last, utc(tt.now), tt.missed)
			var fired []string
			for _, f := range d.Fire {
				fired = append(fired, f.UTC().Format(time.RFC3339))
			}
			if len(fired) != len(tt.fire) {
				t.Fatalf("fired %v, want %v", fired, tt.fire)
			}
			for i := range fired {
				if fired[i] != tt.fire[i] {
					t.Fatalf("fired %v, want %v", fired, tt.fire)
				}
			}
			if got := d.Last.UTC().Format(time.RFC3339); got != tt.wantLast {
				t.Errorf("cursor %s, want %s", got, tt.wantLast)
			}
			gotMissed := ""
			if !d.Missed.IsZero() {
				gotMissed = d.Missed.UTC().Format(time.RFC3339)
			}
			if gotMissed != tt.wantMissed {
				t.Errorf("missed %q, want %q", gotMissed, tt.wantMissed)
			}
		})
	}
}

// TestDecideRestarts replays a week of an hourly schedule looked at by a
// server that restarts at random moments (keeping its cursor), and checks
// that every tick fires exactly once when the looks are never more than
// the grace apart, whatever the restarts.
func TestDecideRestarts(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "@hourly", "America/New_York")
	start := time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)
	now := start
	d := Decide(s, nil, now, MissedSkip)
	last := d.Last
	fired := map[time.Time]int{}
	step := []time.Duration{17 * time.Second, 59 * time.Second, 3 * time.Second, 41 * time.Second}
	for i := 0; now.Before(start.Add(7 * 24 * time.Hour)); i++ {
		now = now.Add(step[i%len(step)])
		d := Decide(s, &last, now, MissedSkip)
		for _, f := range d.Fire {
			fired[f]++
		}
		last = d.Last
	}
	want := 0
	for tick := s.Next(start); !tick.After(now); tick = s.Next(tick) {
		want++
		if fired[tick] != 1 {
			t.Errorf("tick %s fired %d times, want 1", tick, fired[tick])
		}
	}
	if len(fired) != want || want != 7*24-1 { // a week of hours, less the one fall-back repeats
		t.Errorf("fired %d distinct ticks, schedule has %d (want %d)", len(fired), want, 7*24-1)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []model.ScheduleTrigger{
		{Cron: "0 2 * *"},
		{Cron: "61 * * * *"},
		{Cron: "0 2 * * *", TimeZone: "Mars/Olympus"},
	} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%+v) = nil error, want one", spec)
		}
	}
}

// TestDecideRunningFiresALateTick: a tick that passed while this server ran
// but could not fire (the store was down for three minutes, the look kept
// failing) fires when the look succeeds; the same tick seen by a server
// started after it is missed.
func TestDecideRunningFiresALateTick(t *testing.T) {
	s, err := Parse(model.ScheduleTrigger{Cron: "*/5 * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(hm string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", "2026-12-04 "+hm)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	last, now := at("10:00"), at("10:08")
	d := DecideRunning(s, &last, now, MissedSkip, at("09:30"))
	if len(d.Fire) != 1 || !d.Fire[0].Equal(at("10:05")) || !d.Missed.IsZero() {
		t.Errorf("running since 09:30: fire %v missed %v, want the 10:05 tick fired late", d.Fire, d.Missed)
	}
	d = DecideRunning(s, &last, now, MissedSkip, at("10:07"))
	if len(d.Fire) != 0 || !d.Missed.Equal(at("10:05")) {
		t.Errorf("running since 10:07: fire %v missed %v, want 10:05 missed and skipped", d.Fire, d.Missed)
	}
}
