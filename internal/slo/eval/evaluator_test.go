package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/frontdoor"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// withSLOs is the real store with the resolved OpenSLO SLOs given by the
// test (the config's SLO kind is read by another part of gennaker).
type withSLOs struct {
	*sqlite.Store
	slos []model.SLO
}

func (w *withSLOs) SLOList(context.Context) ([]model.SLO, error) { return w.slos, nil }

func TestEvaluatorAlerts(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, err = db.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "x"}, Instances: 1, SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	fd := model.MetricQuery{Source: model.SLOSourceFrontDoor}
	good, total := fd, fd
	good.Metric, total.Metric = model.FrontDoorGood, model.FrontDoorRequests
	prom := &model.MetricQuery{Source: model.SLOSourcePrometheus, Query: "up"}
	st := &withSLOs{Store: db, slos: []model.SLO{
		{Name: "checkout-prod-errors", Application: "checkout", Environment: "prod", Window: model.SLOWindow{Count: 7, Unit: "d", Rolling: true},
			Budgeting: model.BudgetOccurrences, Indicator: model.SLI{Good: &good, Total: &total}, Objectives: []model.Objective{{Name: "ok", Target: 0.99}},
			Alerts: []model.BurnRateAlert{{Name: "fast", Severity: "page", Factor: 3, Long: model.Duration(time.Hour), Short: model.Duration(5 * time.Minute), For: model.Duration(time.Minute)}}},
		{Name: "checkout-prom", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Indicator: model.SLI{Good: prom, Total: prom}, Objectives: []model.Objective{{Target: 0.99}}},
	}}

	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	traffic := func(from time.Time, n int, requests, errs uint64) {
		t.Helper()
		dense := make([]uint64, latency.NumBuckets)
		dense[latency.BucketOf(0.02)] = requests
		var mins []store.TrafficMinute
		for i := range n {
			mins = append(mins, store.TrafficMinute{Application: "checkout", Environment: "prod", Minute: from.Add(time.Duration(i) * time.Minute),
				Requests: requests, Errors: errs, Latency: latency.EncodeMinute(dense)})
		}
		if err := st.TrafficMinutePut(ctx, mins); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	ev := New(Config{Store: st, Sources: map[string]slo.Source{model.SLOSourceFrontDoor: &frontdoor.Source{Store: st, Environments: st, Now: clock}},
		Holder: "replica-a", Now: clock, Metrics: NewMetrics(reg)})
	round := func() {
		t.Helper()
		ok, err := ev.Round(ctx)
		if err != nil || !ok {
			t.Fatalf("round at %s: %v, %v", now.Format(time.TimeOnly), ok, err)
		}
	}
	status := func(name string) model.SLOStatus {
		t.Helper()
		s, err := st.SLOStatusGet(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return *s
	}
	events := func() []string {
		t.Helper()
		evs, err := st.EventList(ctx, store.EventListParams{Kinds: []model.EventKind{model.EventSLOAlertFiring, model.EventSLOAlertResolved}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, string(e.Kind)+" "+e.Ref+" "+e.Action)
		}
		return out
	}
	firing := func(name string) []string {
		var out []string
		for _, a := range status(name).Alerts {
			if a.Firing {
				out = append(out, a.Name)
			}
		}
		return out
	}

	// Three quiet hours: every budget untouched, nothing fires.
	traffic(t0.Add(-3*time.Hour), 180, 100, 0)
	round()
	if s := status("checkout-availability"); s.Error != "" || s.Objectives[0].Total != 18000 || s.Objectives[0].BudgetRemaining != 1 || len(firing(s.Name)) != 0 {
		t.Fatalf("quiet: %+v", s)
	}
	if s := status("checkout-prom"); !strings.Contains(s.Error, `metric source "prometheus" is not available`) {
		t.Fatalf("an SLO whose source is missing: %+v, want an error saying so", s)
	}
	if got := events(); len(got) != 0 {
		t.Fatalf("quiet: events %v", got)
	}
	// A burst: half the requests fail for 5 minutes.
	traffic(t0, 5, 100, 50)
	now = t0.Add(5*time.Minute + 20*time.Second)
	round()
	if f := firing("checkout-availability"); strings.Join(f, ",") != "page-1h,page-6h,ticket-1d,ticket-3d" {
		t.Fatalf("after the burst, firing %v; status %+v", f, status("checkout-availability"))
	}
	if s := status("checkout-prod-errors"); len(firing(s.Name)) != 0 || !s.Alerts[0].Pending {
		t.Fatalf("an alert with For 1m: %+v, want pending", s.Alerts)
	}
	if got := gauge(t, reg, "gennaker_slo_alert_firing", "slo=checkout-availability,alert=page-1h,severity=page"); got != "1" {
		t.Fatalf("gennaker_slo_alert_firing = %s", got)
	}
	now = now.Add(time.Minute)
	round()
	want := []string{"slo_alert_firing checkout-availability page-1h", "slo_alert_firing checkout-availability page-6h",
		"slo_alert_firing checkout-availability ticket-1d", "slo_alert_firing checkout-availability ticket-3d",
		"slo_alert_firing checkout-prod-errors fast"}
	if got := events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b := status("checkout-availability").Objectives[0].BudgetRemaining; b >= 0 {
		t.Fatalf("budget after 250 errors in 18,500: %v, want overspent", b)
	}
	// Another replica does not evaluate while this one holds the lease.
	other := New(Config{Store: st, Sources: ev.cfg.Sources, Holder: "replica-b", Now: clock})
	if ok, err := other.Round(ctx); ok || err != nil {
		t.Fatalf("a second replica evaluated: %v, %v", ok, err)
	}
	// Ten quiet minutes: the short windows recover; the 1-hour pages resolve.
	traffic(t0.Add(5*time.Minute), 12, 100, 0)
	now = t0.Add(17*time.Minute + 20*time.Second)
	round()
	got := events()
	want = append(want, "slo_alert_resolved checkout-availability page-1h", "slo_alert_resolved checkout-prod-errors fast")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after recovery, events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Points: one per 5-minute slot.
	pts, err := st.SLOPointList(ctx, store.SLOPointListParams{SLO: "checkout-availability", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil || len(pts) != 3 {
		t.Fatalf("points: %+v, %v; want slots 12:00, 12:05, 12:15", pts, err)
	}
	// The SLO is removed: its firing alerts resolve and its status goes.
	st.slos = st.slos[1:]
	_, err = st.ConfigApply(ctx, model.Config{Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "x"}, Instances: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)
	round()
	got = events()
	if n := len(got); n != len(want)+3 || !strings.HasPrefix(got[n-1], "slo_alert_resolved checkout-availability") {
		t.Fatalf("after removing the shorthand SLOs: %v", got)
	}
	if _, err := st.SLOStatusGet(ctx, "checkout-availability"); err == nil {
		t.Fatal("a removed SLO kept its status")
	}
	if got := gauge(t, reg, "gennaker_slo_budget_remaining", "slo=checkout-availability,objective=availability"); got != "" {
		t.Fatalf("budget of a removed SLO: %s, want no series", got)
	}
}

func TestTransitions(t *testing.T) {
	s := model.SLO{Name: "x", Application: "a", Alerts: []model.BurnRateAlert{{Name: "fast", Factor: 14.4, Long: model.Duration(time.Hour), Short: model.Duration(5 * time.Minute)}}}
	at := time.Unix(0, 0)
	fire := []model.AlertState{{Name: "fast", Firing: true, LongRate: 20, ShortRate: 30}}
	quiet := []model.AlertState{{Name: "fast"}}
	cases := []struct {
		name          string
		before, after []model.AlertState
		want          []model.EventKind
	}{
		{"starts firing", quiet, fire, []model.EventKind{model.EventSLOAlertFiring}},
		{"keeps firing", fire, fire, nil},
		{"resolves", fire, quiet, []model.EventKind{model.EventSLOAlertResolved}},
		{"pending is not firing", nil, []model.AlertState{{Name: "fast", Pending: true}}, nil},
		{"removed while firing", fire, nil, []model.EventKind{model.EventSLOAlertResolved}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := Transitions(s, c.before, c.after, at)
			var got []model.EventKind
			for _, e := range evs {
				got = append(got, e.Kind)
				if e.Ref != "x" || e.Action != "fast" || e.Application != "a" || e.Detail == "" {
					t.Errorf("event %+v", e)
				}
			}
			if strings.Join(kinds(got), ",") != strings.Join(kinds(c.want), ",") {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func kinds(k []model.EventKind) []string {
	out := make([]string, len(k))
	for i, v := range k {
		out[i] = string(v)
	}
	return out
}

// gauge is the value of the series of name with these labels ("k=v,..."
// in the registry's order), "" when there is none.
func gauge(t *testing.T, reg *prometheus.Registry, name, labels string) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var l []string
			for _, p := range m.GetLabel() {
				l = append(l, p.GetName()+"="+p.GetValue())
			}
			slices.Sort(l)
			want := strings.Split(labels, ",")
			slices.Sort(want)
			if slices.Equal(l, want) {
				return strconv.FormatFloat(m.GetGauge().GetValue(), 'g', -1, 64)
			}
		}
	}
	return ""
}

// hangingSource never answers until its caller gives up, as a Prometheus
// behind a firewall that drops packets.
type hangingSource struct{}

func (hangingSource) Counts(ctx context.Context, _ model.SLO, _ model.Objective, _, _ time.Time) (slo.Counts, error) {
	<-ctx.Done()
	return slo.Counts{}, ctx.Err()
}

// One SLO whose source hangs gets a third of the interval; the round goes
// on to the others, and every status reports the 1-hour burn rate the
// deploy policy reads, whatever the SLO's alerts.
func TestEvaluatorHangingSourceAndPolicyWindow(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "x"}, Instances: 1}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	prom := &model.MetricQuery{Source: model.SLOSourcePrometheus, Query: "up"}
	fd, fdTotal := &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorGood}, &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}
	st := &withSLOs{Store: db, slos: []model.SLO{
		{Name: "a-hangs", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Indicator: model.SLI{Good: prom, Total: prom}, Objectives: []model.Objective{{Target: 0.99}}},
		{Name: "b-no-alerts", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Indicator: model.SLI{Good: fd, Total: fdTotal}, Objectives: []model.Objective{{Target: 0.99}}},
	}}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	interval := 3 * time.Second
	ev := New(Config{Store: st, Interval: interval, Holder: "a", Now: func() time.Time { return now },
		Sources: map[string]slo.Source{model.SLOSourcePrometheus: hangingSource{}, model.SLOSourceFrontDoor: &frontdoor.Source{Store: st, Environments: st, Now: func() time.Time { return now }}}})
	began := time.Now()
	if ok, err := ev.Round(ctx); err != nil || !ok {
		t.Fatalf("round: %v, %v", ok, err)
	}
	if took := time.Since(began); took > interval {
		t.Errorf("the round took %s: one hanging source held up the interval (%s)", took, interval)
	}
	hung, err := st.SLOStatusGet(ctx, "a-hangs")
	if err != nil || !strings.Contains(hung.Error, "deadline") {
		t.Errorf("the hanging SLO's status: %+v, %v; want its error", hung, err)
	}
	other, err := st.SLOStatusGet(ctx, "b-no-alerts")
	if err != nil || other.Error != "" {
		t.Fatalf("the other SLO's status: %+v, %v", other, err)
	}
	if !slices.ContainsFunc(other.BurnRates, func(b model.BurnRate) bool { return b.Window.D() == time.Hour }) {
		t.Errorf("burn rates %+v: want the 1h window the deploy policy reads", other.BurnRates)
	}
}

// takeoverSource is a source during whose first query another replica
// takes the evaluator's lease (this replica paused past the lease's TTL).
type takeoverSource struct {
	st     Store
	at     time.Time
	counts slo.Counts
	taken  bool
}

func (s *takeoverSource) Counts(ctx context.Context, _ model.SLO, _ model.Objective, _, _ time.Time) (slo.Counts, error) {
	if !s.taken {
		s.taken = true
		if ok, err := s.st.SLOLeaseAcquire(ctx, "replica-b", s.at, time.Minute); err != nil || !ok {
			return slo.Counts{}, fmt.Errorf("replica-b could not take the lease: %v, %v", ok, err)
		}
	}
	return s.counts, nil
}

// A round that loses the lease midway writes nothing more: not the status
// it was about to store, nor any later one.
func TestEvaluatorStopsWhenItLosesTheLease(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ConfigApply(ctx, model.Config{Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "x"}, Instances: 1}}}); err != nil {
		t.Fatal(err)
	}
	prom := &model.MetricQuery{Source: model.SLOSourcePrometheus, Query: "up"}
	st := &withSLOs{Store: db, slos: []model.SLO{
		{Name: "first", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Indicator: model.SLI{Good: prom, Total: prom}, Objectives: []model.Objective{{Target: 0.99}}},
		{Name: "second", Application: "checkout", Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Indicator: model.SLI{Good: prom, Total: prom}, Objectives: []model.Objective{{Target: 0.99}}},
	}}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	interval := 10 * time.Second
	// The round starts at 12:00:30 and takes the lease until 12:01:00;
	// replica-b takes it at 12:01:01, as if replica-a had paused in the
	// middle of its round, while replica-a's round asks its source.
	src := &takeoverSource{st: st, at: now.Add(6*interval + time.Second), counts: slo.Counts{Good: 99, Total: 100}}
	ev := New(Config{Store: st, Interval: interval, Holder: "replica-a", Now: func() time.Time { return now },
		Sources: map[string]slo.Source{model.SLOSourcePrometheus: src}})
	now = now.Add(3 * interval)
	ok, err := ev.Round(ctx)
	if err != nil || ok {
		t.Fatalf("round that lost its lease: %v, %v; want false, nil", ok, err)
	}
	for _, name := range []string{"first", "second"} {
		if got, err := st.SLOStatusGet(ctx, name); err == nil {
			t.Fatalf("the replica that lost the lease stored %s's status: %+v", name, got)
		}
	}
	// Once replica-b's lease has expired in turn, replica-a evaluates again.
	now = src.at.Add(time.Minute + time.Second)
	if ok, err := ev.Round(ctx); err != nil || !ok {
		t.Fatalf("round after replica-b's lease expired: %v, %v", ok, err)
	}
	if got, err := st.SLOStatusGet(ctx, "second"); err != nil || got.Error != "" {
		t.Fatalf("second's status after the next round: %+v, %v", got, err)
	}
}
