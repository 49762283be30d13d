package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestOpenSLOSpecExamples loads the OpenSLO specification's own example
// files (testdata/openslo, copied unchanged from github.com/OpenSLO/OpenSLO
// examples/). They read their metrics from a placeholder source type
// "Any", so each must fail with exactly the "not supported" message, once
// per metric source, and nothing else; with the placeholder swapped for
// gennaker's front door they load.
func TestOpenSLOSpecExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		sources int    // metric sources, each reported once
		name    string // the SLO
		method  model.BudgetingMethod
		window  model.SLOWindow
		targets []float64
		// swapErr is the error left after swapping in the front door ("" loads).
		swapErr string
	}{
		{file: "occurences-slo.yaml", sources: 1, name: "search-slo", method: model.BudgetOccurrences,
			window: model.SLOWindow{Count: 2, Unit: "w", Rolling: true}, targets: []float64{0.99},
			swapErr: `"" is not a front door metric`},
		{file: "ratio-timeslices.yaml", sources: 2, name: "main-page", method: model.BudgetRatioTimeslices,
			window: model.SLOWindow{Count: 2, Unit: "w", Rolling: true}, targets: []float64{0.99}},
		{file: "timeslices-slo.yaml", sources: 2, name: "service-availability", method: model.BudgetTimeslices,
			window: model.SLOWindow{Count: 1, Unit: "m", TimeZone: "America/New_York"}, targets: []float64{0.995, 0.99}},
		{file: "low-traffic-timeslices-slo.yaml", sources: 2, name: "service-availability", method: model.BudgetTimeslices,
			window: model.SLOWindow{Count: 1, Unit: "w", TimeZone: "America/New_York"}, targets: []float64{0.9995}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "openslo", tt.file)
			_, err := LoadFiles([]string{path}, LoadOptions{})
			var cfgErrs *Errors
			if !errors.As(err, &cfgErrs) {
				t.Fatalf("want *Errors, got %v", err)
			}
			if len(cfgErrs.List) != tt.sources {
				t.Errorf("%d errors, want %d (one per metric source):\n%v", len(cfgErrs.List), tt.sources, err)
			}
			for _, e := range cfgErrs.List {
				want := "not supported: metric source type Any: gennaker reads Prometheus and its front door (type GennakerFrontDoor)"
				if e.Message != want || e.Line == 0 || !strings.HasSuffix(e.Field, "metricSource.type") {
					t.Errorf("got %v\nwant %s at a metricSource.type with its line", e, want)
				}
			}

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			swapped := strings.ReplaceAll(string(data), "type: Any", "type: GennakerFrontDoor")
			swapped = strings.ReplaceAll(swapped, "query: Any", "metric: requests")
			tmp := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(tmp, []byte(swapped), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadFiles([]string{tmp}, LoadOptions{})
			if tt.swapErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.swapErr) {
					t.Fatalf("swapped: got %v, want %q", err, tt.swapErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("swapped: %v", err)
			}
			if len(cfg.SLOs) != 1 {
				t.Fatalf("SLOs = %+v, want one", cfg.SLOs)
			}
			s := cfg.SLOs[0]
			w := s.Window
			w.Start = model.SLOWindow{}.Start
			if s.Name != tt.name || s.Budgeting != tt.method || w != tt.window || s.Application != s.Service {
				t.Errorf("SLO = %s %s %+v (app %s, service %s), want %s %s %+v", s.Name, s.Budgeting, w, s.Application, s.Service, tt.name, tt.method, tt.window)
			}
			if !tt.window.Rolling && s.Window.Start.Format(calendarLayout+" MST") != "2022-01-01 12:00:00 EST" {
				t.Errorf("calendar start = %v, want 2022-01-01 12:00 in New York", s.Window.Start)
			}
			for i, o := range s.Objectives {
				if i >= len(tt.targets) || o.Target != tt.targets[i] {
					t.Errorf("objective %d target %v, want %v", i, o.Target, tt.targets)
				}
			}
			if len(s.Alerts) != len(model.DefaultBurnRateAlerts()) {
				t.Errorf("alerts = %+v, want the default burn-rate alerts (the examples name no policy)", s.Alerts)
			}
		})
	}
}

// TestOpenSLOAlertMapping: a burn-rate condition becomes an alert whose
// long window is the lookback window, the short one a twelfth of it, For
// is alertAfter and Notify the policy's targets.
func TestOpenSLOAlertMapping(t *testing.T) {
	t.Parallel()
	cfg, err := LoadDir(filepath.Join("testdata", "valid"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got *model.SLO
	for i := range cfg.SLOs {
		if cfg.SLOs[i].Name == "checkout-api-availability" {
			got = &cfg.SLOs[i]
		}
	}
	if got == nil {
		t.Fatalf("no SLO checkout-api-availability in %+v", cfg.SLOs)
	}
	want := []model.BurnRateAlert{
		{Name: "fast-burn", Severity: "page", Factor: 14.4, Long: model.Duration(60 * 60e9), Short: model.Duration(5 * 60e9), For: model.Duration(2 * 60e9), Notify: []string{"oncall-mail"}},
		{Name: "slow-burn", Severity: "ticket", Factor: 1, Long: model.Duration(72 * 60 * 60e9), Short: model.Duration(6 * 60 * 60e9), Notify: []string{"checkout-slack"}},
	}
	if len(got.Alerts) != len(want) {
		t.Fatalf("alerts = %+v, want %+v", got.Alerts, want)
	}
	for i := range want {
		g, w := got.Alerts[i], want[i]
		if g.Name != w.Name || g.Severity != w.Severity || g.Factor != w.Factor || g.Long != w.Long || g.Short != w.Short || g.For != w.For || strings.Join(g.Notify, ",") != strings.Join(w.Notify, ",") {
			t.Errorf("alert %d = %+v, want %+v", i, g, w)
		}
	}
	if got.Indicator.Bad == nil || got.Indicator.Bad.URL != "http://127.0.0.1:9090" || got.Application != "checkout" || got.Environment != "prod" {
		t.Errorf("SLO = %+v: want the DataSource's URL inlined, application and environment from labels", got)
	}
}

// TestValidateSLO checks resolved SLOs as the API receives them.
func TestValidateSLO(t *testing.T) {
	t.Parallel()
	good := func() model.SLO {
		return model.SLO{
			Name: "checkout-api", Application: "checkout",
			Indicator: model.SLI{
				Good:  &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:9090", Query: `http_requests_total{code!~"5.."}`},
				Total: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:9090", Query: `http_requests_total`},
			},
			Window:     model.SLOWindow{Count: 28, Unit: "d", Rolling: true},
			Budgeting:  model.BudgetOccurrences,
			Objectives: []model.Objective{{Target: 0.999}},
			Alerts:     model.DefaultBurnRateAlerts(),
		}
	}
	tests := []struct {
		name   string
		change func(*model.SLO)
		want   string // "" for valid
	}{
		{"valid", func(*model.SLO) {}, ""},
		{"bad name", func(s *model.SLO) { s.Name = "Checkout API" }, `SLO/Checkout API: SLO "Checkout API": name: "Checkout API" is not a valid name`},
		{"no application", func(s *model.SLO) { s.Application = "" }, "application: an SLO names the application"},
		{"target 1", func(s *model.SLO) { s.Objectives[0].Target = 1 }, "objectives[0].target: 1 is not a target"},
		{"no objectives", func(s *model.SLO) { s.Objectives = nil }, "objectives: an SLO needs at least one objective"},
		{"good and bad", func(s *model.SLO) { s.Indicator.Bad = s.Indicator.Good }, "indicator: a ratio indicator counts good or bad"},
		{"ratio and threshold", func(s *model.SLO) { s.Indicator.Threshold = s.Indicator.Good }, "indicator: an indicator is a ratio"},
		{"no total", func(s *model.SLO) { s.Indicator.Total = nil }, "indicator.total: a ratio indicator needs total"},
		{"datadog", func(s *model.SLO) { s.Indicator.Good.Source = "datadog" }, `indicator.good.source: not supported: metric source "datadog"`},
		{"prometheus url", func(s *model.SLO) { s.Indicator.Good.URL = "127.0.0.1:9090" }, "indicator.good.url: \"127.0.0.1:9090\" is not a Prometheus URL"},
		{"mixed sources", func(s *model.SLO) {
			s.Indicator.Total = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}
		}, "indicator: the indicator mixes metric sources prometheus and frontdoor"},
		{"threshold from the front door", func(s *model.SLO) {
			s.Indicator = model.SLI{Threshold: &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}}
			s.Budgeting, s.Objectives = model.BudgetTimeslices, []model.Objective{{Target: 0.99, Op: "lt", Value: 0.3, TimeSliceTarget: 0.9, TimeSliceWindow: model.Duration(time.Minute)}}
		}, "indicator.threshold: a threshold metric is read from Prometheus"},
		{"threshold by occurrences", func(s *model.SLO) {
			s.Indicator = model.SLI{Threshold: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://127.0.0.1:9090", Query: "latency_p99"}}
			s.Objectives[0].Op, s.Objectives[0].Value = "lt", 0.3
		}, "budgetingMethod: a threshold metric is counted in time slices: write Timeslices (it is Occurrences)"},
		{"front door ratio slices", func(s *model.SLO) {
			s.Indicator.Good = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorGood}
			s.Indicator.Total = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}
			s.Budgeting, s.Objectives[0].TimeSliceWindow = model.BudgetRatioTimeslices, model.Duration(time.Minute)
		}, "budgetingMethod: the front door counts Occurrences or Timeslices, not RatioTimeslices"},
		{"front door 5m slices", func(s *model.SLO) {
			s.Indicator.Good = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorGood}
			s.Indicator.Total = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}
			s.Budgeting, s.Objectives[0].TimeSliceTarget, s.Objectives[0].TimeSliceWindow = model.BudgetTimeslices, 0.9, model.Duration(5*time.Minute)
		}, "objectives[0].timeSliceWindow: 5m0s: the front door keeps one-minute slices: write 1m"},
		{"latency bound", func(s *model.SLO) {
			s.Indicator.Good = &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorLatencyUnder}
		}, "indicator.good.under: latencyUnder needs under"},
		{"credential in the url", func(s *model.SLO) { s.Indicator.Good.URL = "http://ann:secret@127.0.0.1:9090" }, "indicator.good.url: the Prometheus URL it holds a user name or password"},
		{"not a selector", func(s *model.SLO) { s.Indicator.Good.Query = `sum(rate(http_requests_total[5m]))` }, "indicator.good.query: \"sum(rate(http_requests_total[5m]))\""},
		{"window of ten years", func(s *model.SLO) { s.Window = model.SLOWindow{Count: 100000, Unit: "w", Rolling: true} }, "window: 100000w is longer than 1830 days"},
		{"window", func(s *model.SLO) { s.Window.Unit = "s" }, "window: a window is a count above 0"},
		{"zone", func(s *model.SLO) { s.Window.TimeZone = "Mars/Olympus" }, `window.timeZone: "Mars/Olympus" is not a time zone`},
		{"method", func(s *model.SLO) { s.Budgeting = "Events" }, `budgetingMethod: "Events" is not allowed`},
		{"timeslices", func(s *model.SLO) { s.Budgeting = model.BudgetTimeslices }, "objectives[0].timeSliceTarget: budgetingMethod Timeslices needs"},
		{"alert windows", func(s *model.SLO) { s.Alerts[0].Short = s.Alerts[0].Long * 2 }, "alerts[0]: an alert's windows"},
		{"alert twice", func(s *model.SLO) { s.Alerts[1].Name = s.Alerts[0].Name }, `alerts[1].name: alert "page-1h" is listed twice`},
		{"threshold without op", func(s *model.SLO) {
			s.Indicator = model.SLI{Threshold: &model.MetricQuery{Source: model.SLOSourcePrometheus, URL: "http://p:9090", Query: "latency"}}
		}, "objectives[0].op: the indicator is a threshold metric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good()
			tt.change(&s)
			errs := ValidateSLO(s)
			if tt.want == "" {
				if len(errs) != 0 {
					t.Fatalf("want no errors, got %v", errs)
				}
				return
			}
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("got %q, want one holding %q", all, tt.want)
			}
		})
	}
}

// TestValidateObjectsChecksSLOs: SLOs through the API are checked on their
// own and with the set (environment, notifications, shorthand names).
func TestValidateObjectsChecksSLOs(t *testing.T) {
	t.Parallel()
	cfg, err := LoadDir(filepath.Join("testdata", "valid"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := cfg.SLOs[0]
	bad.Environment = "moon"
	bad.Alerts = []model.BurnRateAlert{{Name: "x", Severity: "page", Factor: 2, Long: model.Duration(3600e9), Short: model.Duration(300e9), Notify: []string{"nobody"}}}
	short := cfg.SLOs[1]
	short.Name = "checkout-latency" // the checkout application's shorthand SLO
	cfg.SLOs = []model.SLO{bad, short}
	err = ValidateObjects(cfg, LoadOptions{})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`SLO/checkout-api-availability: SLO "checkout-api-availability": environment: no environment is named "moon"`,
		`SLO/checkout-api-availability: SLO "checkout-api-availability": alerts[0].notify[0]: no Notification is named "nobody"`,
		`SLO/checkout-latency: SLO "checkout-latency": name: the name "checkout-latency" is taken by the shorthand SLO of application "checkout"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got:\n%v\nwant a line holding %s", err, want)
		}
	}
}
