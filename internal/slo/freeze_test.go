package slo

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestFreezeContains(t *testing.T) {
	t.Parallel()
	weekend := model.FreezeWindow{Name: "weekend", From: "Fri 16:00", To: "Mon 08:00", TimeZone: "Europe/Berlin"}
	midweek := model.FreezeWindow{From: "Tue 10:00", To: "Tue 12:30"}
	ny := model.FreezeWindow{From: "Sun 01:30", To: "Sun 03:30", TimeZone: "America/New_York"}
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		name   string
		window model.FreezeWindow
		now    time.Time
		in     bool
		until  time.Time
	}{
		// 2026-12-04 is a Friday; Berlin is UTC+1 in winter.
		{"Friday before the start", weekend, utc("2026-12-04T14:59:59Z"), false, time.Time{}},
		{"Friday at the start (16:00 Berlin)", weekend, utc("2026-12-04T15:00:00Z"), true, utc("2026-12-07T07:00:00Z")},
		{"Saturday", weekend, utc("2026-12-05T12:00:00Z"), true, utc("2026-12-07T07:00:00Z")},
		{"Sunday late, over the week's end", weekend, utc("2026-12-06T23:30:00Z"), true, utc("2026-12-07T07:00:00Z")},
		{"Monday just before the end", weekend, utc("2026-12-07T06:59:00Z"), true, utc("2026-12-07T07:00:00Z")},
		{"Monday at the end", weekend, utc("2026-12-07T07:00:00Z"), false, time.Time{}},
		{"Wednesday", weekend, utc("2026-12-09T12:00:00Z"), false, time.Time{}},
		{"Friday 15:30 UTC is 16:30 Berlin", weekend, utc("2026-12-04T15:30:00Z"), true, utc("2026-12-07T07:00:00Z")},
		// Summer (CEST, UTC+2): 2026-07-03 is a Friday.
		{"summer Friday at 16:00 CEST", weekend, utc("2026-07-03T14:00:00Z"), true, utc("2026-07-06T06:00:00Z")},
		{"summer Friday 14:30 UTC is 16:30 CEST", weekend, utc("2026-07-03T14:30:00Z"), true, utc("2026-07-06T06:00:00Z")},
		{"summer Friday 13:59 UTC is 15:59 CEST", weekend, utc("2026-07-03T13:59:00Z"), false, time.Time{}},
		// The clocks go back on Sunday 2026-10-25 in Berlin: the window
		// started at 16:00 CEST (14:00 UTC) and ends 08:00 CET (07:00 UTC).
		{"weekend the clocks go back: start", weekend, utc("2026-10-23T14:00:00Z"), true, utc("2026-10-26T07:00:00Z")},
		{"weekend the clocks go back: just before the end", weekend, utc("2026-10-26T06:59:00Z"), true, utc("2026-10-26T07:00:00Z")},
		{"weekend the clocks go back: after the end", weekend, utc("2026-10-26T07:00:00Z"), false, time.Time{}},
		// The clocks go forward on Sunday 2026-03-29: ends 08:00 CEST (06:00 UTC).
		{"weekend the clocks go forward: still in", weekend, utc("2026-03-30T05:59:00Z"), true, utc("2026-03-30T06:00:00Z")},
		{"weekend the clocks go forward: out", weekend, utc("2026-03-30T06:00:00Z"), false, time.Time{}},
		// New York skips 02:00-03:00 on Sunday 2026-03-08: the window
		// 01:30-03:30 local is one hour long that day.
		{"spring forward: 01:29 EST", ny, utc("2026-03-08T06:29:00Z"), false, time.Time{}},
		{"spring forward: 01:30 EST", ny, utc("2026-03-08T06:30:00Z"), true, utc("2026-03-08T07:30:00Z")},
		{"spring forward: 03:00 EDT", ny, utc("2026-03-08T07:00:00Z"), true, utc("2026-03-08T07:30:00Z")},
		{"spring forward: 03:30 EDT", ny, utc("2026-03-08T07:30:00Z"), false, time.Time{}},
		// New York repeats 01:00-02:00 on Sunday 2026-11-01: the window is
		// three hours long, both 01:30s are in it.
		{"fall back: first 01:30 EDT", ny, utc("2026-11-01T05:30:00Z"), true, utc("2026-11-01T08:30:00Z")},
		{"fall back: second 01:30 EST", ny, utc("2026-11-01T06:30:00Z"), true, utc("2026-11-01T08:30:00Z")},
		{"fall back: 03:29 EST", ny, utc("2026-11-01T08:29:00Z"), true, utc("2026-11-01T08:30:00Z")},
		{"fall back: 03:30 EST", ny, utc("2026-11-01T08:30:00Z"), false, time.Time{}},
		// A window inside a day, in UTC (no zone given).
		{"midweek before", midweek, utc("2026-12-08T09:59:00Z"), false, time.Time{}},
		{"midweek in", midweek, utc("2026-12-08T10:00:00Z"), true, utc("2026-12-08T12:30:00Z")},
		{"midweek end", midweek, utc("2026-12-08T12:30:00Z"), false, time.Time{}},
		{"midweek another day at the same hour", midweek, utc("2026-12-09T11:00:00Z"), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFreeze(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			in, until := f.Contains(tt.now)
			if in != tt.in || !until.Equal(tt.until) {
				t.Errorf("Contains(%s) = %v until %s, want %v until %s", tt.now, in, until.UTC(), tt.in, tt.until)
			}
		})
	}
}

func TestParseFreezeErrors(t *testing.T) {
	t.Parallel()
	for _, w := range []model.FreezeWindow{
		{From: "Fri 16:00", To: "Fri 16:00"},
		{From: "Fri 16:00", To: "Mon 08:00", TimeZone: "Mars/Olympus"},
		{From: "Fri", To: "Mon 08:00"},
		{From: "Fri 16:00", To: "Mo 08:00"},
	} {
		if _, err := ParseFreeze(w); err == nil {
			t.Errorf("ParseFreeze(%+v) = nil error, want one", w)
		}
	}
}
