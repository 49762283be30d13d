package frontdoor

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// minuteData is a test's traffic: per environment and minute, requests,
// errors and latencies (a fast and a slow bucket).
type minuteData struct {
	env                          string
	at                           time.Time
	requests, errors, fast, slow uint64
}

var (
	fastBucket = latency.BucketOf(0.05) // 50 ms
	slowBucket = latency.BucketOf(0.8)  // 800 ms
)

func (m minuteData) row() store.TrafficMinute {
	dense := make([]uint64, latency.NumBuckets)
	dense[fastBucket], dense[slowBucket] = m.fast, m.slow
	return store.TrafficMinute{Application: "checkout", Environment: m.env, Minute: m.at, Requests: m.requests, Errors: m.errors, Latency: latency.EncodeMinute(dense)}
}

// TestSourceCounts checks the source's sums over windows of every shape
// against a plain sum of the minutes, as time moves on (refreshes move
// minutes into hours, windows start inside old hours).
func TestSourceCounts(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	_, err := st.ConfigApply(ctx, model.Config{Environments: []model.Environment{
		{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}},
		{Name: "prod-eu", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}},
		{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var data []minuteData
	const days = 3
	for i := range days * 24 * 60 {
		for _, env := range []string{"prod", "prod-eu", "staging"} {
			if rng.IntN(4) == 0 {
				continue // minutes without traffic
			}
			fast, slow := uint64(rng.IntN(50)), uint64(rng.IntN(5))
			data = append(data, minuteData{env, start.Add(time.Duration(i) * time.Minute), fast + slow, min(fast+slow, uint64(rng.IntN(3))), fast, slow})
		}
	}
	rows := make([]store.TrafficMinute, len(data))
	for i, d := range data {
		rows[i] = d.row()
	}
	if err := st.TrafficMinutePut(ctx, rows); err != nil {
		t.Fatal(err)
	}
	want := func(env string, metric func(minuteData) uint64, from, to time.Time) float64 {
		var n uint64
		for _, d := range data {
			if (env == "" && d.env != "staging" || d.env == env) && !d.at.Before(from) && d.at.Before(to) {
				n += metric(d)
			}
		}
		return float64(n)
	}
	availability := func(env string) model.SLO {
		return model.SLO{Name: "a", Application: "checkout", Environment: env, Budgeting: model.BudgetOccurrences,
			Indicator: model.SLI{Good: &model.MetricQuery{Source: "frontdoor", Metric: "good"}, Total: &model.MetricQuery{Source: "frontdoor", Metric: "requests"}}}
	}
	latencySLO := func(env string) model.SLO {
		return model.SLO{Name: "l", Application: "checkout", Environment: env, Budgeting: model.BudgetOccurrences,
			Indicator: model.SLI{Good: &model.MetricQuery{Source: "frontdoor", Metric: "latencyUnder", Under: model.Duration(300 * time.Millisecond)},
				Total: &model.MetricQuery{Source: "frontdoor", Metric: "requests"}}}
	}
	errorsSLO := model.SLO{Name: "e", Application: "checkout", Environment: "prod",
		Indicator: model.SLI{Bad: &model.MetricQuery{Source: "frontdoor", Metric: "errors"}, Total: &model.MetricQuery{Source: "frontdoor", Metric: "requests"}}}

	now := start.Add(2*24*time.Hour + 7*time.Minute + 13*time.Second)
	src := &Source{Store: st, Environments: st, Now: func() time.Time { return now }}
	check := func(o model.SLO, env string, good, total func(minuteData) uint64, from, to time.Time) {
		t.Helper()
		got, err := src.Counts(ctx, o, model.Objective{Target: 0.99}, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if w := (slo.Counts{Good: want(env, good, from, to), Total: want(env, total, from, to)}); got != w {
			t.Fatalf("%s in %q over [%s, %s) at %s: %+v, want %+v", o.Name, env, from.Format(time.DateTime), to.Format(time.DateTime), now.Format(time.DateTime), got, w)
		}
	}
	requests := func(d minuteData) uint64 { return d.requests }
	goodOf := func(d minuteData) uint64 { return d.requests - d.errors }
	fastOf := func(d minuteData) uint64 { return d.fast }
	for step := range 40 {
		for _, w := range []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 36*time.Hour + 17*time.Minute, 60 * time.Hour} {
			check(availability("prod"), "prod", goodOf, requests, now.Add(-w), now)
			check(availability(""), "", goodOf, requests, now.Add(-w), now)
			check(latencySLO("prod-eu"), "prod-eu", fastOf, requests, now.Add(-w), now)
			check(errorsSLO, "prod", goodOf, requests, now.Add(-w), now)
		}
		// A window that ends in the past, inside an old hour.
		check(availability("prod"), "prod", goodOf, requests, start.Add(90*time.Minute+30*time.Second), start.Add(26*time.Hour+10*time.Minute))
		check(availability("prod"), "prod", goodOf, requests, start.Add(3*time.Minute), start.Add(40*time.Minute))
		now = now.Add(time.Duration(17+step*11) * time.Minute)
	}
}

func TestSourceRefuses(t *testing.T) {
	src := &Source{Store: openStore(t)}
	total := &model.MetricQuery{Source: "frontdoor", Metric: "requests"}
	for name, o := range map[string]model.SLO{
		"timeslices": {Name: "x", Budgeting: model.BudgetTimeslices, Indicator: model.SLI{Good: total, Total: total}},
		"threshold":  {Name: "x", Indicator: model.SLI{Threshold: total}},
		"metric":     {Name: "x", Indicator: model.SLI{Good: &model.MetricQuery{Metric: "p99"}, Total: total}},
		"no under":   {Name: "x", Indicator: model.SLI{Good: &model.MetricQuery{Metric: "latencyUnder"}, Total: total}},
	} {
		if _, err := src.Counts(t.Context(), o, model.Objective{Target: 0.9}, time.Unix(0, 0), time.Unix(3600, 0)); err == nil {
			t.Errorf("%s: counted", name)
		}
	}
}
