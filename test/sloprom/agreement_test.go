// Package sloprom checks that gennaker's SLO numbers and the Prometheus
// rules it generates agree with a real Prometheus, on a synthetic month of
// counters backfilled with promtool.
package sloprom

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	pmodel "github.com/prometheus/common/model"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/prom"
)

// sloSet are the SLOs over the synthetic month: an availability ratio of
// good over total, a bad-over-total one, a latency SLO from a histogram
// bucket, and a Timeslices availability.
func sloSet(url string) []model.SLO {
	q := func(query string) *model.MetricQuery {
		return &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: url, Query: query}
	}
	rolling28 := model.SLOWindow{Count: 28, Unit: "d", Rolling: true}
	alerts := model.DefaultBurnRateAlerts()
	alerts[1].For = model.Duration(5 * time.Minute)
	return []model.SLO{
		{Name: "checkout-availability", Application: "checkout", Environment: "production", Window: rolling28,
			Budgeting: model.BudgetOccurrences, Alerts: alerts,
			Indicator:  model.SLI{Good: q(`http_requests_total{job="checkout",code!~"5.."}`), Total: q(`http_requests_total{job="checkout"}`)},
			Objectives: []model.Objective{{Name: "availability", Target: 0.999}}},
		{Name: "pay-errors", Application: "pay", Window: rolling28, Budgeting: model.BudgetOccurrences, Alerts: alerts,
			Indicator:  model.SLI{Bad: q(`rpc_errors_total{job="pay"}`), Total: q(`rpc_requests_total{job="pay"}`)},
			Objectives: []model.Objective{{Target: 0.995}}},
		{Name: "checkout-latency", Application: "checkout", Environment: "production", Window: rolling28,
			Budgeting: model.BudgetOccurrences, Alerts: alerts,
			Indicator: model.SLI{Good: q(`http_request_duration_seconds_bucket{job="checkout",le="0.3"}`),
				Total: q(`http_request_duration_seconds_count{job="checkout"}`)},
			Objectives: []model.Objective{{Name: "fast", Target: 0.95}}},
		{Name: "checkout-slices", Application: "checkout", Window: model.SLOWindow{Count: 1, Unit: "d", Rolling: true},
			Budgeting:  model.BudgetTimeslices,
			Indicator:  model.SLI{Good: q(`http_requests_total{job="checkout",code!~"5.."}`), Total: q(`http_requests_total{job="checkout"}`)},
			Objectives: []model.Objective{{Target: 0.9, TimeSliceTarget: 0.99, TimeSliceWindow: model.Duration(10 * time.Minute)}}},
		{Name: "checkout-error-rate", Application: "checkout", Window: model.SLOWindow{Count: 1, Unit: "d", Rolling: true},
			Budgeting:  model.BudgetTimeslices,
			Indicator:  model.SLI{Threshold: q(`sum(rate(http_requests_total{job="checkout",code="500"}[10m]))`)},
			Objectives: []model.Objective{{Target: 0.9, Op: "lt", Value: 0.02, TimeSliceWindow: model.Duration(10 * time.Minute)}}},
	}
}

// agree says a and b agree to 1e-6 (relative above 1).
func agree(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b))
}

func TestAgreementWithPrometheus(t *testing.T) {
	began := time.Now()
	ver := version(t)
	if strings.Contains(ver, "version 3.") {
		leftOpen = true
	}
	t.Logf("%s (ranges closed at the start: %v)", ver, !leftOpen)
	dir := t.TempDir()
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -33)
	mo := makeMonth(start)
	data := backfill(t, mo, dir)
	backfilled := time.Since(began)

	// The rules Prometheus loads reference the recorded series; promtool
	// checks them first. Addresses are filled in once Prometheus listens.
	rules, notes := prom.Rules(sloSet(""))
	if len(rules.Groups) != 3 || len(notes) != 2 || !strings.Contains(notes[0].Error(), "checkout-slices") {
		t.Fatalf("rules for %d SLOs, notes %v: want 3 and a note on the Timeslices one", len(rules.Groups), notes)
	}
	b, err := rules.YAML()
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "slo-rules.yml")
	if err := os.WriteFile(rulesFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, tool(t, "promtool"), "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
	url := startPrometheus(t, data, rulesFile)
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	papi := promv1.NewAPI(c)
	ctx := context.Background()
	if loaded, err := papi.Rules(ctx, nil); err != nil || len(loaded.Groups) != 3 {
		t.Fatalf("prometheus loaded %+v (%v), want the 3 rule groups", loaded, err)
	}
	src := prom.NewSource(prom.Options{})
	slos := sloSet(url)

	query := func(expr string, at time.Time) (pmodel.Vector, bool) {
		t.Helper()
		v, _, _, err := papi.Query(ctx, expr, at)
		if err != nil {
			t.Fatalf("query %s at %s: %v", expr, at, err)
		}
		vec := v.(pmodel.Vector)
		if len(vec) > 1 {
			t.Fatalf("query %s at %s: %d series, want at most one", expr, at, len(vec))
		}
		return vec, len(vec) == 1 && !math.IsNaN(float64(vec[0].Value))
	}
	// goCounts is the pure Go computation of the SLI's counts.
	goCounts := func(s model.SLO, w time.Duration, at time.Time) slo.Counts {
		in, err := prom.RatioIndicator(s)
		if err != nil {
			t.Fatal(err)
		}
		total, _ := mo.sumIncrease(in.Total, w, at)
		if in.HasGood {
			good, _ := mo.sumIncrease(in.Good, w, at)
			return slo.Counts{Good: good, Total: total}
		}
		bad, _ := mo.sumIncrease(in.Bad, w, at)
		return slo.Counts{Good: total - bad, Total: total}
	}
	counts := func(s model.SLO, o model.Objective, w time.Duration, at time.Time) slo.Counts {
		t.Helper()
		got, err := src.Counts(ctx, s, o, at.Add(-w), at)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// Times: the special moments, one a day, and the last minute.
	times := append([]time.Time{}, mo.special...)
	for d := 1; d < 30; d += 2 {
		times = append(times, start.AddDate(0, 0, d).Add(13*time.Hour+37*time.Minute+11*time.Second))
	}
	times = append(times, mo.end.Add(-time.Minute))
	long := map[time.Time]bool{mo.end.Add(-time.Minute): true, mo.special[4]: true, start.AddDate(0, 0, 29).Add(13*time.Hour + 37*time.Minute + 11*time.Second): true}

	checked, fired := 0, 0
	for _, s := range slos[:3] {
		o := s.Objectives[0]
		g, _, err := prom.RuleGroup(s, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range times {
			var prev []model.AlertState
			var rateErr error
			states := slo.EvaluateAlerts(s.Alerts, src.Rates(ctx, s, o, at, &rateErr), prev, at)
			if rateErr != nil {
				t.Fatal(rateErr)
			}
			for _, r := range g.Rules {
				w, kind := ruleWindow(t, s, r)
				if w > 3*24*time.Hour && !long[at] {
					continue // the 28-day window is slow to query: checked at a few times
				}
				vec, has := query(r.Expr, at)
				checked++
				switch kind {
				case "alert":
					var st model.AlertState
					for _, x := range states {
						if x.Name == r.Labels["burn_alert"] {
							st = x
						}
					}
					if (st.Firing || st.Pending) != (len(vec) == 1) {
						t.Errorf("%s %s at %s: prometheus returns %d series, gennaker says firing=%v pending=%v (rates %g, %g)",
							s.Name, r.Labels["burn_alert"], at, len(vec), st.Firing, st.Pending, st.LongRate, st.ShortRate)
					}
					if len(vec) == 1 {
						fired++
					}
					continue
				case "objective":
					if !has || float64(vec[0].Value) != o.Target {
						t.Errorf("%s objective at %s: %v", s.Name, at, vec)
					}
					continue
				}
				mine := counts(s, o, w, at)
				pure := goCounts(s, w, at)
				if !agree(mine.Good, pure.Good) || !agree(mine.Total, pure.Total) {
					t.Errorf("%s over %s at %s: the Source counts %+v, Go's increase %+v", s.Name, w, at, mine, pure)
				}
				var want float64
				switch kind {
				case "errors":
					want = mine.ErrorRatio()
				case "burn":
					want = slo.BurnRate(o.Target, mine)
				case "budget":
					want = slo.BudgetRemaining(o.Target, mine)
				}
				if !has {
					if pure.Total != 0 {
						t.Errorf("%s %s at %s: prometheus has no value, Go counts %+v", s.Name, r.Record, at, pure)
					}
					continue
				}
				if got := float64(vec[0].Value); !agree(got, want) {
					t.Errorf("%s %s at %s: prometheus %.12g, gennaker %.12g (counts %+v)", s.Name, r.Record, at, got, want, mine)
				}
			}
		}
	}
	if fired == 0 {
		t.Error("no alert fired at any time: the bursts should page")
	}
	// Inside the fast burst the page-1h alert of checkout-availability fires.
	s := slos[0]
	g, _, _ := prom.RuleGroup(s, true)
	for _, r := range g.Rules {
		if r.Labels["burn_alert"] == "page-1h" {
			if vec, _ := query(r.Expr, mo.burst); len(vec) != 1 {
				t.Errorf("page-1h at the burst: %v, want the alert's series", vec)
			}
			if vec, _ := query(r.Expr, mo.quiet); len(vec) != 0 {
				t.Errorf("page-1h at a quiet time: %v, want nothing", vec)
			}
		}
	}
	var rateErr error
	if st := slo.EvaluateAlerts(s.Alerts, src.Rates(ctx, s, s.Objectives[0], mo.burst, &rateErr), nil, mo.burst); !st[0].Firing || rateErr != nil {
		t.Errorf("gennaker at the burst: %+v (%v), want page-1h firing", st[0], rateErr)
	}
	checkTimeslices(t, mo, src, slos[3], times)
	checkThreshold(t, mo, src, slos[4], times)
	small := prom.NewSource(prom.Options{MaxResponse: 64, Attempts: 1})
	if _, err := small.Counts(ctx, slos[0], slos[0].Objectives[0], mo.end.Add(-time.Hour), mo.end); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("a 64-byte response limit: %v, want the answer refused", err)
	}
	t.Logf("%d rule evaluations and as many gennaker counts agree (%d alert firings); backfill %s, total %s",
		checked, fired, backfilled.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// ruleWindow tells what a rule computes and over which window.
func ruleWindow(t *testing.T, s model.SLO, r prom.Rule) (time.Duration, string) {
	t.Helper()
	parse := func(d string) time.Duration {
		pd, err := pmodel.ParseDuration(d)
		if err != nil {
			t.Fatalf("rule %s: %v", r.Record, err)
		}
		return time.Duration(pd)
	}
	switch {
	case r.Alert != "":
		return 0, "alert"
	case r.Record == prom.RecordObjective:
		return 0, "objective"
	case r.Record == prom.RecordBudgetRemaining:
		return time.Duration(s.Window.Count) * 24 * time.Hour, "budget"
	case strings.HasPrefix(r.Record, prom.RecordErrorRatio):
		return parse(strings.TrimPrefix(r.Record, prom.RecordErrorRatio)), "errors"
	case strings.HasPrefix(r.Record, prom.RecordBurnRate):
		return parse(strings.TrimPrefix(r.Record, prom.RecordBurnRate)), "burn"
	}
	t.Fatalf("unknown rule %+v", r)
	return 0, ""
}

// checkTimeslices compares the Source's Timeslices counts (a subquery)
// with slo.TimesliceCounts over slices computed in Go: one slice ending at
// each multiple of the slice width in [at-window, at].
func checkTimeslices(t *testing.T, mo *month, src *prom.Source, s model.SLO, times []time.Time) {
	t.Helper()
	o := s.Objectives[0]
	in, err := prom.RatioIndicator(s)
	if err != nil {
		t.Fatal(err)
	}
	w := 24 * time.Hour
	width := o.TimeSliceWindow.D()
	bad := 0
	for _, at := range times[:8] {
		got, err := src.Counts(context.Background(), s, o, at.Add(-w), at)
		if err != nil {
			t.Fatal(err)
		}
		var sl []slo.Slice
		step := width.Milliseconds()
		first := (at.Add(-w).UnixMilli() + step - 1) / step * step
		for e := first; e <= at.UnixMilli(); e += step {
			end := time.UnixMilli(e)
			good, _ := mo.sumIncrease(in.Good, width, end)
			total, _ := mo.sumIncrease(in.Total, width, end)
			sl = append(sl, slo.Slice{Good: good, Total: total})
		}
		want, err := slo.TimesliceCounts(o, false, sl)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s at %s: the Source counts %+v slices, Go %+v", s.Name, at, got, want)
		}
		if got.Good < got.Total {
			bad++
		}
	}
	if bad == 0 {
		t.Errorf("%s: no bad slice at any time: the bursts should make some", s.Name)
	}
}

// checkThreshold compares the Source's counts of a threshold SLI (the
// error rate below a bound in each slice) with slo.TimesliceCounts over
// the rate computed in Go at each slice's end.
func checkThreshold(t *testing.T, mo *month, src *prom.Source, s model.SLO, times []time.Time) {
	t.Helper()
	o := s.Objectives[0]
	sel, err := prom.ParseSelector(`http_requests_total{job="checkout",code="500"}`)
	if err != nil {
		t.Fatal(err)
	}
	w, width := 24*time.Hour, o.TimeSliceWindow.D()
	bad := 0
	for _, at := range times[:8] {
		got, err := src.Counts(context.Background(), s, o, at.Add(-w), at)
		if err != nil {
			t.Fatal(err)
		}
		var sl []slo.Slice
		step := width.Milliseconds()
		for e := (at.Add(-w).UnixMilli() + step - 1) / step * step; e <= at.UnixMilli(); e += step {
			inc, ok := mo.sumIncrease(sel, 10*time.Minute, time.UnixMilli(e))
			sl = append(sl, slo.Slice{Value: inc / 600, HasValue: ok})
		}
		want, err := slo.TimesliceCounts(o, true, sl)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s at %s: the Source counts %+v slices, Go %+v", s.Name, at, got, want)
		}
		if got.Good < got.Total {
			bad++
		}
	}
	if bad == 0 {
		t.Errorf("%s: no bad slice at any time: the bursts should make some", s.Name)
	}
}
