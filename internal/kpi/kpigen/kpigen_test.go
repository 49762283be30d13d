package kpigen

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(DefaultConfig(7)), Generate(DefaultConfig(7))
	if !reflect.DeepEqual(a.Events, b.Events) {
		t.Fatal("two histories from one seed differ")
	}
}

// TestHistoryCoversTheCases checks that a default history holds every case
// the exactness test is meant to cover, so a change to the generator cannot
// quietly drop one.
func TestHistoryCoversTheCases(t *testing.T) {
	h := Generate(DefaultConfig(1))
	facts := h.Facts()
	count := map[string]int{}
	for _, f := range facts {
		count["attempts"]++
		if f.Live {
			count["live"]++
		}
		if f.HasLead {
			count["lead"]++
		}
		if f.Cause != "" {
			count["cause "+f.Cause]++
			if f.Restored == nil {
				count["unrecovered"]++
			}
		}
		if f.Cause == "failed" && !f.TrafficMoved {
			count["failed without traffic moving"]++
		}
		if f.Rework {
			count["rework"]++
		}
		if kpi.Day(f.Start) != kpi.Day(f.End) {
			count["crossing midnight"]++
		}
		if f.HasLead && f.Exec.CommitTime.After(f.Exec.Start) {
			count["commit after start"]++
		}
		if f.Canary > 0 {
			count["canary"]++
		}
		if f.People > 0 && f.Canary > 0 {
			count["waits with analysis"]++
		}
		if f.Cause == "incident" && f.Restored != nil {
			switch {
			case f.Restored.Equal(f.End):
			}
		}
	}
	for _, a := range h.Attempts {
		if !a.Ended() {
			count["running"]++
		}
	}
	for _, i := range h.Incidents {
		if i.Recorded.Sub(i.Start) > 30*time.Minute {
			count["late incident"]++
		}
		if i.Environment == Staging {
			count["staging incident"]++
		}
	}
	for _, ev := range h.Events {
		if ev.Kind == model.EventManualStep {
			count["step "+ev.Action]++
		}
		if ev.Kind == model.EventOutOfBand && ev.Application == "" {
			count["oob without app"]++
		}
	}
	t.Logf("%d events, %d executions; %v", len(h.Events), len(h.Executions), count)
	for _, k := range []string{"cause failed", "cause rolled back", "cause incident", "unrecovered", "failed without traffic moving", "rework",
		"crossing midnight", "commit after start", "canary", "waits with analysis", "running", "late incident", "staging incident",
		"step run", "step approve", "step reject", "step retry", "step cancel", "step rollback", "oob without app"} {
		if count[k] == 0 {
			t.Errorf("the history has no %q", k)
		}
	}
}

// TestDistIsType7 checks the oracle's quantiles against numpy's defaults
// (numpy.quantile([...], [0.5, 0.9])).
func TestDistIsType7(t *testing.T) {
	for _, c := range []struct {
		xs          []float64
		median, p90 float64
	}{
		{[]float64{4, 1, 3, 2}, 2.5, 3.7},
		{[]float64{10}, 10, 10},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100}, 6, 10},
		{[]float64{0, 60}, 30, 54},
	} {
		d := dist(c.xs)
		if *d.Median != c.median || math.Abs(*d.P90-c.p90) > 1e-12 {
			t.Errorf("dist(%v) = median %v p90 %v, want %v %v", c.xs, *d.Median, *d.P90, c.median, c.p90)
		}
	}
	if d := dist(nil); d.Median != nil || d.P90 != nil || d.Mean != nil || d.Count != 0 {
		t.Errorf("dist(nil) = %+v, want no data", d)
	}
}
