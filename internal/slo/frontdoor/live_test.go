package frontdoor

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

// TestSourceLive: a window ending now counts the seconds after the last
// rolled-up minute, and each second once, before and after its minute is
// rolled up.
func TestSourceLive(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	base := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	var secs []store.TrafficSecond
	for i := range 5*60 + 30 { // 12:00:00 to 12:05:29, two server groups
		for _, sg := range []string{"checkout-v001", "checkout-v002"} {
			errs := uint64(0)
			if i >= 5*60 {
				errs = 2 // the errors start at 12:05
			}
			secs = append(secs, store.TrafficSecond{Application: "checkout", Environment: "prod", ServerGroup: sg, Time: base.Add(time.Duration(i) * time.Second),
				Requests: 4, Errors: errs, Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: uint16(latency.BucketOf(0.01)), N: 4}}}})
		}
	}
	if err := st.TrafficSecondsInsert(ctx, secs); err != nil {
		t.Fatal(err)
	}
	now := base.Add(5*time.Minute + 30*time.Second)
	clock := func() time.Time { return now }
	r := &Rollup{Store: st, Now: clock}
	if err := r.Pass(ctx); err != nil { // writes 12:00 to 12:04
		t.Fatal(err)
	}
	src := &Source{Store: st, Seconds: st, Now: clock}
	o := model.SLO{Name: "a", Application: "checkout", Environment: "prod",
		Indicator: model.SLI{Good: &model.MetricQuery{Metric: "latencyUnder", Under: model.Duration(20 * time.Millisecond)}, Total: &model.MetricQuery{Metric: "requests"}}}
	bad := model.SLO{Name: "b", Application: "checkout", Environment: "prod",
		Indicator: model.SLI{Good: &model.MetricQuery{Metric: "good"}, Total: &model.MetricQuery{Metric: "requests"}}}
	count := func(s model.SLO, from time.Time) slo.Counts {
		t.Helper()
		c, err := src.Counts(ctx, s, model.Objective{Target: 0.99}, from, now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	want := slo.Counts{Good: 8 * 330, Total: 8 * 330}
	if c := count(o, base); c != want {
		t.Fatalf("[12:00, 12:05:30) with 30 live seconds: %+v, want %+v", c, want)
	}
	if c := count(bad, base.Add(5*time.Minute)); c != (slo.Counts{Good: 2 * 30 * 2, Total: 8 * 30}) {
		t.Fatalf("the last 30 s, all live: %+v", c)
	}
	// 12:05 is rolled up (and more seconds are stored): counted once.
	var more []store.TrafficSecond
	for i := 5*60 + 30; i < 6*60+10; i++ {
		more = append(more, store.TrafficSecond{Application: "checkout", Environment: "prod", ServerGroup: "checkout-v001", Time: base.Add(time.Duration(i) * time.Second), Requests: 4, Errors: 4})
	}
	if err := st.TrafficSecondsInsert(ctx, more); err != nil {
		t.Fatal(err)
	}
	now = base.Add(6*time.Minute + 20*time.Second)
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if c := count(bad, base.Add(5*time.Minute)); c != (slo.Counts{Good: 2 * 30 * 2, Total: 8*30 + 4*40}) {
		t.Fatalf("after the rollup of 12:05: %+v, want every second of 12:05:00 to 12:06:10 once", c)
	}
}
