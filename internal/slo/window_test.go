package slo

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

func TestWindowBounds(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC) // the day Berlin moves to summer time
	cases := []struct {
		name     string
		w        model.SLOWindow
		from, to time.Time
		length   time.Duration
	}{
		{"rolling 28d", model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			now.Add(-28 * 24 * time.Hour), now, 28 * 24 * time.Hour},
		{"rolling 1M is the month before now", model.SLOWindow{Count: 1, Unit: "M", Rolling: true},
			time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), now, 29 * 24 * time.Hour},
		{"calendar month in UTC", model.SLOWindow{Count: 1, Unit: "M"},
			time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), now, 31 * 24 * time.Hour},
		{"calendar month in Berlin is an hour shorter", model.SLOWindow{Count: 1, Unit: "M", TimeZone: "Europe/Berlin"},
			time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), now, 31*24*time.Hour - time.Hour},
		{"calendar quarter", model.SLOWindow{Count: 1, Unit: "Q"},
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), now, 90 * 24 * time.Hour},
		{"calendar week starts on Monday", model.SLOWindow{Count: 1, Unit: "w"},
			time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC), now, 7 * 24 * time.Hour},
		{"calendar month anchored on the 15th", model.SLOWindow{Count: 1, Unit: "M", Start: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)},
			time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), now, 31 * 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to, err := WindowBounds(c.w, now)
			if err != nil {
				t.Fatal(err)
			}
			if !from.Equal(c.from) || !to.Equal(c.to) {
				t.Errorf("bounds [%s, %s), want [%s, %s)", from, to, c.from, c.to)
			}
			l, err := WindowLength(c.w, now)
			if err != nil || l != c.length {
				t.Errorf("length %s (%v), want %s", l, err, c.length)
			}
		})
	}
	if _, _, err := WindowBounds(model.SLOWindow{Count: 1, Unit: "M", TimeZone: "Mars/Olympus"}, now); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

func TestEvaluateAlerts(t *testing.T) {
	a := []model.BurnRateAlert{{Name: "fast", Severity: "page", Factor: 14.4, Long: model.Duration(time.Hour), Short: model.Duration(5 * time.Minute), For: model.Duration(2 * time.Minute)}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rates := func(long, short float64) Rates {
		return func(w time.Duration) float64 {
			if w == time.Hour {
				return long
			}
			return short
		}
	}
	st := EvaluateAlerts(a, rates(20, 30), nil, t0)
	if !st[0].Pending || st[0].Firing {
		t.Fatalf("first breach: %+v, want pending", st[0])
	}
	st = EvaluateAlerts(a, rates(20, 30), st, t0.Add(2*time.Minute))
	if !st[0].Firing || !st[0].Since.Equal(t0) {
		t.Fatalf("after For: %+v, want firing since t0", st[0])
	}
	st = EvaluateAlerts(a, rates(20, 1), st, t0.Add(3*time.Minute))
	if st[0].Firing || st[0].Pending {
		t.Fatalf("short window recovered: %+v, want resolved", st[0])
	}
	if st := EvaluateAlerts(a, rates(5, 30), nil, t0); st[0].Pending || st[0].Firing {
		t.Fatalf("long window below: %+v", st[0])
	}
}
