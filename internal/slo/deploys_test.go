package slo

import (
	"math"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func TestDeploys(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	ev := func(min int, kind model.EventKind, exec, version string) model.Event {
		return model.Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, ExecutionID: exec, Environment: "prod", Version: version}
	}
	rb := ev(50, model.EventRolledBack, "", "v2")
	rb.FromVersion = "v3"
	got := Deploys([]model.Event{
		ev(5, model.EventDeploySucceeded, "e0", "v1"), // its start fell before the events read
		ev(10, model.EventDeployStarted, "e1", "v2"),
		ev(20, model.EventDeploySucceeded, "e1", "v2"),
		ev(30, model.EventDeployStarted, "e2", "v3"),
		ev(40, model.EventDeployFailed, "e2", "v3"),
		rb,
		ev(60, model.EventDeployStarted, "e3", "v4"), // still running
		ev(61, model.EventDeployFailed, "e9", "v9"),  // a failure without its start marks nothing
	})
	want := []Deploy{
		{Time: t0.Add(5 * time.Minute), Kind: model.EventDeployStarted, Environment: "prod", Version: "v1", ExecutionID: "e0", Outcome: OutcomeSucceeded},
		{Time: t0.Add(10 * time.Minute), Kind: model.EventDeployStarted, Environment: "prod", Version: "v2", ExecutionID: "e1", Outcome: OutcomeSucceeded},
		{Time: t0.Add(30 * time.Minute), Kind: model.EventDeployStarted, Environment: "prod", Version: "v3", ExecutionID: "e2", Outcome: OutcomeFailed},
		{Time: t0.Add(50 * time.Minute), Kind: model.EventRolledBack, Environment: "prod", Version: "v2", FromVersion: "v3"},
		{Time: t0.Add(60 * time.Minute), Kind: model.EventDeployStarted, Environment: "prod", Version: "v4", ExecutionID: "e3"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d markers %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("marker %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBurnFromHourCounts(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		name              string
		target            float64
		hour              Counts
		windowTotal       float64
		window            time.Duration
		wantBurned, wantR float64
	}{
		// 28 days of 1,000,000 requests at 99.9%: a budget of 1,000 bad requests.
		{"50 bad of 1,000 in the hour", 0.999, Counts{Good: 950, Total: 1000}, 1_000_000, 28 * day, 0.05, 50},
		{"a clean hour", 0.999, Counts{Good: 1000, Total: 1000}, 1_000_000, 28 * day, 0, 0},
		// No traffic counted in the window yet: the hour's rate spread over the window.
		{"no window traffic", 0.99, Counts{Good: 90, Total: 100}, 0, 10 * time.Hour, 1, 10},
		{"nothing at all", 0.99, Counts{}, 0, 28 * day, 0, 0},
	} {
		b, r := BurnFromHourCounts(tc.target, tc.hour, tc.windowTotal, time.Hour, tc.window)
		if math.Abs(b-tc.wantBurned) > 1e-9 || math.Abs(r-tc.wantR) > 1e-9 {
			t.Errorf("%s: burned %v rate %v, want %v %v", tc.name, b, r, tc.wantBurned, tc.wantR)
		}
	}
}

func TestBurnFromPointsRates(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	at := func(min int, rate float64) store.SLOPoint {
		return store.SLOPoint{SLO: "s", At: t0.Add(time.Duration(min) * time.Minute), BurnRate: rate}
	}
	window := 10 * time.Hour
	for _, tc := range []struct {
		name     string
		points   []store.SLOPoint
		from, to time.Time
		burned   float64
		rate     float64
		covered  bool
	}{
		// 30 minutes at 10× then 30 at 0: 5 rate-hours of a 10-hour window.
		{"half an hour at 10x", []store.SLOPoint{at(0, 10), at(30, 0)}, t0, t0.Add(time.Hour), 0.5, 5, true},
		// The point before the interval carries its rate into it: 30 minutes at 2×.
		{"rate from before", []store.SLOPoint{at(-10, 2), at(30, 0)}, t0, t0.Add(time.Hour), 0.1, 1, true},
		// Points after the interval say nothing about it.
		{"points after", []store.SLOPoint{at(61, 50)}, t0, t0.Add(time.Hour), 0, 0, false},
		{"no points", nil, t0, t0.Add(time.Hour), 0, 0, false},
		// The hour is not over: only the time covered so far counts.
		{"partial", []store.SLOPoint{at(0, 4)}, t0, t0.Add(15 * time.Minute), 0.1, 4, true},
	} {
		b, r, ok := BurnFromPointsRates(tc.points, tc.from, tc.to, window)
		if ok != tc.covered || math.Abs(b-tc.burned) > 1e-9 || math.Abs(r-tc.rate) > 1e-9 {
			t.Errorf("%s: burned %v rate %v covered %v, want %v %v %v", tc.name, b, r, ok, tc.burned, tc.rate, tc.covered)
		}
	}
}
