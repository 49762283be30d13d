package prom

import (
	"strings"
	"testing"
	"time"

	pmodel "github.com/prometheus/common/model"

	"github.com/gennaker/gennaker/internal/model"
)

func promQuery(q string) *model.MetricQuery {
	return &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://prometheus:9090", Query: q}
}

func availability() model.SLO {
	return model.SLO{Name: "checkout-availability", Application: "checkout", Environment: "production",
		Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true}, Budgeting: model.BudgetOccurrences,
		Indicator:  model.SLI{Good: promQuery(`http_requests_total{job="checkout",code!~"5.."}`), Total: promQuery(`http_requests_total{job="checkout"}`)},
		Objectives: []model.Objective{{Name: "availability", Target: 0.999}},
		Alerts:     model.DefaultBurnRateAlerts()}
}

func TestRuleGroup(t *testing.T) {
	g, notes, err := RuleGroup(availability(), false)
	if err != nil || len(notes) != 0 {
		t.Fatalf("%v %v", err, notes)
	}
	byName := map[string]Rule{}
	alerts := 0
	for _, r := range g.Rules {
		if r.Alert != "" {
			alerts++
			byName[r.Labels["burn_alert"]] = r
			continue
		}
		byName[r.Record] = r
	}
	// Windows: 5m 30m 1h 2h 6h 1d 3d and the SLO's 28d.
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d", "28d"} {
		if _, ok := byName[RecordErrorRatio+w]; !ok {
			t.Errorf("no error ratio over %s", w)
		}
		if _, ok := byName[RecordBurnRate+w]; !ok {
			t.Errorf("no burn rate over %s", w)
		}
	}
	cases := []struct{ name, want string }{
		{RecordErrorRatio + "5m", `clamp_min(sum(increase(http_requests_total{job="checkout"}[5m])) - (sum(increase(http_requests_total{job="checkout",code!~"5.."}[5m])) or vector(0)), 0) / sum(increase(http_requests_total{job="checkout"}[5m]))`},
		{RecordBurnRate + "1h", `gennaker:slo_errors:ratio_rate1h{slo="checkout-availability"} / 0.001`},
		{RecordBudgetRemaining, `1 - gennaker:slo_errors:ratio_rate28d{slo="checkout-availability"} / 0.001`},
		{RecordObjective, `vector(0.999)`},
		{"page-1h", "gennaker:slo_errors:ratio_rate1h{slo=\"checkout-availability\"} >= 0.0144\nand\ngennaker:slo_errors:ratio_rate5m{slo=\"checkout-availability\"} >= 0.0144"},
	}
	for _, c := range cases {
		if got := byName[c.name].Expr; got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	if alerts != 4 {
		t.Errorf("%d alerts, want the 4 default pairs", alerts)
	}
	page := byName["page-1h"]
	if page.Labels["severity"] != "page" || page.Labels["environment"] != "production" || page.Labels["objective"] != "availability" ||
		page.Annotations["summary"] != "checkout-availability burns its budget 14.4× over 1h and 5m" ||
		!strings.Contains(page.Annotations["description"], "the 28d budget is spent in 1d22h40m") {
		t.Errorf("page-1h labels %v annotations %v", page.Labels, page.Annotations)
	}
}

func TestRulesLeaveOut(t *testing.T) {
	calendar := availability()
	calendar.Name, calendar.Window = "calendar", model.SLOWindow{Count: 1, Unit: "M"}
	bad := availability()
	bad.Name, bad.Indicator.Good = "bad", nil
	bad.Indicator.Bad = promQuery(`rate(http_requests_total{code=~"5.."}[5m])`)
	front := model.Application{Name: "shop", SLO: &model.AppSLO{Availability: 99.9}}.DefaultSLOs()[0]
	slices := availability()
	slices.Name, slices.Budgeting = "slices", model.BudgetTimeslices

	f, notes := Rules([]model.SLO{calendar, bad, front, slices})
	if len(f.Groups) != 1 || f.Groups[0].Name != "gennaker-slo-calendar" {
		t.Fatalf("groups %+v, want only the calendar SLO's", f.Groups)
	}
	for _, r := range f.Groups[0].Rules {
		if r.Record == RecordBudgetRemaining {
			t.Error("a calendar window got a budget-remaining rule")
		}
	}
	want := []string{
		"SLO calendar: window 1M",
		`SLO bad: indicator.bad query "rate(http_requests_total{code=~\"5..\"}[5m])"`,
		`SLO shop-availability: indicator.total is measured by "frontdoor"`,
		"SLO slices: no Prometheus rules for Timeslices",
	}
	if len(notes) != len(want) {
		t.Fatalf("notes %v", notes)
	}
	for i, w := range want {
		if !strings.Contains(notes[i].Error(), w) {
			t.Errorf("note %q, want it to contain %q", notes[i], w)
		}
	}
	if !strings.Contains(notes[1].Error(), "write a counter selector") {
		t.Errorf("note %q does not say what to write", notes[1])
	}
	if b, err := f.YAML(); err != nil || !strings.Contains(string(b), "record: gennaker:slo_errors:ratio_rate5m") {
		t.Errorf("YAML: %v\n%s", err, b)
	}
}

func TestTimeslicesPromQL(t *testing.T) {
	in, err := RatioIndicator(availability())
	if err != nil {
		t.Fatal(err)
	}
	o := model.Objective{Target: 0.9, TimeSliceTarget: 0.99, TimeSliceWindow: model.Duration(5 * time.Minute)}
	ts, err := in.TimeslicesOver(model.BudgetTimeslices, o, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ratio := `clamp_max((sum(increase(http_requests_total{job="checkout",code!~"5.."}[5m])) or vector(0)) / (sum(increase(http_requests_total{job="checkout"}[5m])) > 0), 1)`
	if ts.Total != "count_over_time(("+ratio+")[1d:5m])" || ts.Good != "count_over_time(("+ratio+" >= 0.99)[1d:5m])" {
		t.Errorf("timeslices %+v", ts)
	}
	if _, err := in.TimeslicesOver(model.BudgetTimeslices, model.Objective{Target: 0.9}, time.Hour); err == nil {
		t.Error("a Timeslices objective without timeSliceWindow was accepted")
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{28 * 24 * time.Hour, "28d"}, {90 * time.Minute, "1h30m"}, {5 * time.Minute, "5m"}, {1500 * time.Millisecond, "1s500ms"}, {0, "0s"}} {
		got := Duration(c.d)
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.d, got, c.want)
		}
		if back, err := pmodel.ParseDuration(got); err != nil || time.Duration(back) != c.d {
			t.Errorf("%s: Prometheus reads %s as %s (%v)", c.d, got, time.Duration(back), err)
		}
	}
}
