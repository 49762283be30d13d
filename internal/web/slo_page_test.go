package web

import (
	"context"
	"html"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// sloNow is the clock of the SLO pages' tests: late in November 2026.
var sloNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// sloV3 is when the faulty v3 was deployed: its hour burns at 20×.
var sloV3 = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

// steadySource counts 1,000 requests an hour, 0.05% failing, except the
// half hour after v3's deploy, when 2% fail: a stand-in for the
// evaluator's SLI sources (the page's rendering is under test, and these
// counts are easy to check by hand).
type steadySource struct{}

func (steadySource) Counts(_ context.Context, _ model.SLO, _ model.Objective, from, to time.Time) (slo.Counts, error) {
	hours := to.Sub(from).Hours()
	total := 1000 * hours
	bad := 0.0005 * total
	// The bad half hour, clipped to [from, to).
	bs, be := sloV3, sloV3.Add(30*time.Minute)
	if from.After(bs) {
		bs = from
	}
	if to.Before(be) {
		be = to
	}
	if be.After(bs) {
		h := be.Sub(bs).Hours()
		bad += (0.02 - 0.0005) * 1000 * h
	}
	return slo.Counts{Good: total - bad, Total: total}, nil
}

// newSLORig is a UI over a real SQLite store holding checkout with an
// availability SLO (the shorthand, 99.9% over 28 days) evaluated every
// hour of its window: statuses and points written through the store, and
// deploys of v2 and the faulty v3 (rolled back) in production.
func newSLORig(t *testing.T, source slo.Source) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Instances: 1, Run: model.RunSpec{Command: "checkout"},
			HealthCheck: model.HealthCheck{Path: "/healthz"}, SLO: &model.AppSLO{Availability: 99.9}}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}},
			{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	from := sloNow.Add(-28 * 24 * time.Hour)
	var pts []store.SLOPoint
	for at := from.Add(time.Hour); !at.After(sloNow); at = at.Add(time.Hour) {
		rate := 0.5
		if !at.Before(sloV3) && at.Before(sloV3.Add(time.Hour)) {
			rate = 20
		}
		budget := 1 - at.Sub(from).Hours()/(28*24)*0.5
		if at.After(sloV3) {
			budget -= 0.2
		}
		pts = append(pts, store.SLOPoint{SLO: "checkout-availability", At: at, Good: 999, Total: 1000, BudgetRemaining: budget, BurnRate: rate})
	}
	must(t, st.SLOPointAdd(ctx, pts))
	must(t, st.SLOStatusPut(ctx, model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: sloNow,
		WindowStart: from, WindowEnd: sloNow,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 671_000, Total: 672_000, Attainment: 671.0 / 672, BudgetRemaining: -0.488}},
		BurnRates:  []model.BurnRate{{Window: model.Duration(time.Hour), Rate: 16}},
		Alerts: []model.AlertState{{Name: "page-1h", Severity: "page", Firing: true, Since: sloNow.Add(-10 * time.Minute), LongRate: 16, ShortRate: 15},
			{Name: "page-6h", Severity: "page", LongRate: 3, ShortRate: 5}}}))
	for _, ev := range []model.Event{
		{Kind: model.EventDeployStarted, Application: "checkout", Environment: "prod", Version: "v2", ExecutionID: "e2", Time: sloNow.Add(-5 * 24 * time.Hour)},
		{Kind: model.EventDeploySucceeded, Application: "checkout", Environment: "prod", Version: "v2", ExecutionID: "e2", Time: sloNow.Add(-5*24*time.Hour + 10*time.Minute)},
		{Kind: model.EventDeployStarted, Application: "checkout", Environment: "staging", Version: "v3", ExecutionID: "e3s", Time: sloV3.Add(-time.Hour)},
		{Kind: model.EventDeployStarted, Application: "checkout", Environment: "prod", Version: "v3", ExecutionID: "e3", Time: sloV3},
		{Kind: model.EventRolledBack, Application: "checkout", Environment: "prod", Version: "v2", FromVersion: "v3", ExecutionID: "e3", Time: sloV3.Add(40 * time.Minute)},
	} {
		must(t, st.EventInsert(ctx, &ev))
	}
	_, _, secret := newAdminToken(t, st)
	a := authn.New(authn.Config{Store: st})
	reader := &report.Reader{Store: st, Source: source, Now: func() time.Time { return sloNow }}
	h := api.New(api.Config{Store: st, Auth: a, SLO: reader,
		Extra: Mount(Config{Store: st, Status: &deploy.Service{Store: st}, Auth: a, SLO: reader, Now: func() time.Time { return sloNow }})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{t: t, srv: srv, st: st, token: secret}
}

func TestSLOPage(t *testing.T) {
	t.Parallel()
	r := newSLORig(t, steadySource{})
	code, body := r.get("/slos/checkout-availability")
	if code != 200 {
		t.Fatalf("GET /slos/checkout-availability: %d\n%s", code, body)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{
		`<a href="/slos" aria-current="page">SLOs</a>`,
		"rolling 28 days, Occurrences",
		// Axis titles with their units, on both charts and the panels.
		"budget left (%)", "burn rate (× sustainable)", "time, UTC", "alert window",
		// The burn-down's deploy markers: a labelled line per deploy in
		// production (not staging's v3), with its title.
		// (The rollback 40 minutes after v3 has no label of its own: it would
		// overlap v3's; its title says what it is.)
		`class="marker deploy"`, `class="marker rollback"`, ">v3</text>", ">v2</text>",
		// v3 is charged until its rollback 40 minutes later: 9.75 + 0.5 × 40/60
		// bad of the 672 the window may fail (0.1% of 672,000) is 1.5005%.
		"2026-11-18 10:00 UTC: deploy of v3 in prod; burned 1.5% of the budget in the hour after (or until the next deploy)",
		"2026-11-18 10:40 UTC: rollback to v2 in prod",
		// Factor lines of the alerts and the zero-budget line.
		`class="factor-line page"`, `class="factor-line ticket"`, "page-1h 14.4×", "budget spent",
		// The per-deploy table, counted from the SLI's events.
		"deploy v3", "rollback to v2 from v3", "counts",
		// The firing alert and the overspent budget.
		"firing: page-1h", "−48.8%", "budget spent",
		"/sla?month=2026-11#sla-checkout-availability",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the SLO page lacks %q", want)
		}
	}
	if strings.Contains(text, "deploy of v3 in staging") {
		t.Error("the SLO page marks a staging deploy of an SLO measured in production")
	}
	// Every chart is an SVG with a title and a description.
	if n := strings.Count(body, `<svg class="plot slo-chart"`); n != 2+len(model.DefaultBurnRateAlerts()) {
		t.Errorf("%d charts, want the burn-down, the burn rate and one panel per alert", n)
	}
	if regexp.MustCompile(`<desc id="[^"]+"></desc>`).MatchString(body) {
		t.Error("a chart has an empty description")
	}
}

func TestSLOPageDeployBurnFromPoints(t *testing.T) {
	t.Parallel()
	// Without an SLI source, v3's time until its rollback 40 minutes later
	// integrates the stored burn rates: 20× for 40 minutes of a 28-day
	// window is 1.984% of the budget.
	r := newSLORig(t, nil)
	_, body := r.get("/slos/checkout-availability")
	text := html.UnescapeString(body)
	for _, want := range []string{"burned 1.984% of the budget", ">points<"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SLO page lacks %q", want)
		}
	}
}

func TestSLOListAndAppPages(t *testing.T) {
	t.Parallel()
	r := newSLORig(t, steadySource{})
	for path, wants := range map[string][]string{
		"/slos": {`<tr data-slo="checkout-availability">`, "−48.8%", "99.85%", "99.9%", "page-1h", `<svg class="sparkline"`,
			`aria-label="error budget left over the window, from`, "budget spent"},
		"/":                      {`<ul class="slo-badges small" aria-label="SLOs">`, `<a href="/slos/checkout-availability">checkout-availability</a>`, "firing: page-1h"},
		"/applications/checkout": {`<h2 id="app-slos">SLOs</h2>`, "−48.8%</span> budget left", "budget spent"},
	} {
		code, body := r.get(path)
		if code != 200 {
			t.Fatalf("GET %s: %d\n%s", path, code, body)
		}
		text := html.UnescapeString(body)
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

func TestSLAPage(t *testing.T) {
	t.Parallel()
	r := newSLORig(t, steadySource{})
	code, body := r.get("/sla?month=2026-10")
	if code != 200 {
		t.Fatalf("GET /sla: %d\n%s", code, body)
	}
	text := html.UnescapeString(body)
	// October 2026 (UTC) is 744 hours: 744,000 requests, 372 failed: 99.95%, half the budget.
	for _, want := range []string{"SLA report · 2026-10", `id="sla-checkout-availability"`, "99.95%", "50%", ">met<",
		`href="/api/v1/sla?month=2026-10&format=csv"`, `rel="prev"`, `href="/sla?month=2026-11"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the SLA page lacks %q", want)
		}
	}
	// November contains v3's half hour and is not over.
	_, body = r.get("/sla?month=2026-11")
	if !strings.Contains(body, "month not over") {
		t.Error("the current month is not marked as not over")
	}
	for _, bad := range []string{"/sla?month=2026-13", "/sla?month=2027-01", "/sla?month=" + strings.Repeat("9", 300)} {
		if code, _ := r.get(bad); code != 400 {
			t.Errorf("GET %s: %d, want 400", bad, code)
		}
	}
	if code, _ := r.get("/slos/nope"); code != 404 {
		t.Errorf("GET /slos/nope: %d, want 404", code)
	}
}
