package web

import (
	"context"
	"errors"
	"html"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// fakeReports answers every query with its report (hand-built: the page's
// rendering is under test here, not the KPI maths) and remembers the query.
type fakeReports struct {
	mu   sync.Mutex
	rep  kpi.Report
	err  error
	last kpi.Query
}

func (f *fakeReports) Report(_ context.Context, q kpi.Query) (*kpi.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = q
	if f.err != nil {
		return nil, f.err
	}
	rep := f.rep
	rep.Query = q
	return &rep, nil
}

// newKPIRig is newRig whose UI makes its KPI reports with reports (nil: none).
func newKPIRig(t *testing.T, reports KPIReports) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must(t, seed(ctx, st))
	_, _, secret := newAdminToken(t, st)
	a := authn.New(authn.Config{Store: st})
	h := api.New(api.Config{Store: st, Auth: a,
		Extra: Mount(Config{Store: st, Status: &deploy.Service{Store: st}, Auth: a, KPI: reports, Now: func() time.Time { return t0.Add(time.Hour) }})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{t: t, srv: srv, st: st, token: secret}
}

func sampleSummary() kpi.Summary {
	return kpi.Summary{Days: 28, Deploys: 42, Attempts: 45, DeploysPerDay: 1.5, DeployDays: 20,
		ChangeFailures: 4, ChangeFailureRate: fptr(4.0 / 45), FailedDeploys: 3, RolledBack: 1,
		LeadTime:      kpi.Dist{Count: 40, Median: fptr(5400), P90: fptr(2.5 * 86400), Mean: fptr(7200)},
		LeadTimeParts: kpi.Parts{WaitingToStart: 1200, Running: 3000, WaitingForPeople: 2400, CanaryAnalysis: 600},
		NoCommitTime:  2, Recovery: kpi.Dist{Count: 3, Median: fptr(1800), P90: fptr(7000), Mean: fptr(3000)}, Unrecovered: 1,
		Rework: 2, ReworkRate: fptr(2.0 / 45), ManualSteps: 90, StepsPerDeploy: fptr(2), HumanWait: 36000,
		OutOfBand: 3, ThroughGennaker: fptr(42.0 / 45)}
}

// sampleReport is four weeks: two with deploys, one with none (its rates
// are no data, not 0), one with failures only.
func sampleReport() kpi.Report {
	s := sampleSummary()
	prev := s
	prev.DeploysPerDay, prev.ChangeFailureRate, prev.LeadTime.Median = 1, fptr(0.02), fptr(7200)
	w := weeks(4)
	quiet := kpi.Summary{Days: 7}
	failing := kpi.Summary{Days: 7, Attempts: 2, ChangeFailures: 2, ChangeFailureRate: fptr(1), FailedDeploys: 2, ReworkRate: fptr(0), StepsPerDeploy: fptr(1), ManualSteps: 2}
	return kpi.Report{Summary: s, Previous: prev,
		Bands:  kpi.Bands{DeploymentFrequency: kpi.BandElite, LeadTime: kpi.BandElite, ChangeFailureRate: kpi.BandHigh, RecoveryTime: kpi.BandElite},
		Points: []kpi.Point{{Start: w[0], Summary: s}, {Start: w[1], Summary: quiet}, {Start: w[2], Summary: failing}, {Start: w[3], Summary: s}},
		Teams:  []kpi.Row{{Name: "payments", Summary: s, Bands: kpi.Bands{DeploymentFrequency: kpi.BandHigh, LeadTime: kpi.BandElite, ChangeFailureRate: kpi.BandLow}}},
		Apps:   []kpi.Row{{Name: "checkout", Team: "payments", Summary: s, Bands: kpi.Bands{ChangeFailureRate: kpi.BandMedium}}},
		Adoption: kpi.Adoption{Applications: 3, OnboardedApps: 2, ActiveApplications: 1, Teams: 2, OnboardedTeams: 1, ActiveUsers: 5,
			OutOfBandChanges: []kpi.OutOfBandChange{{Time: t0, Application: "checkout", Environment: "prod", Object: "Deployment/checkout-v002", Actor: "kubectl-edit", Detail: "image changed to checkout:hotfix"}}},
		ComputedAt: t0, UpTo: 1234}
}

func TestKPIPage(t *testing.T) {
	t.Parallel()
	reports := &fakeReports{rep: sampleReport()}
	r := newKPIRig(t, reports)
	code, body := r.get("/kpi?team=payments&since=30d&by=week")
	if code != 200 {
		t.Fatalf("GET /kpi: %d\n%s", code, body)
	}
	q := reports.last
	if q.Team != "payments" || q.By != kpi.BucketWeek || q.To.Sub(q.From) != 30*24*time.Hour || q.Readable != nil {
		t.Errorf("query %+v (an admin reads everything: Readable nil)", q)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{
		`<a href="/kpi" aria-current="page">KPIs</a>`,
		"<h1>Delivery KPIs of team payments</h1>",
		// Headline: value, band in words, trend with its verdict.
		"1.5/day", `<span class="band band-elite">elite</span>`, `<span class="band band-high">high</span>`,
		"1.5 h", "p90 2.5 d", "8.89%", "4 change failures in 45 attempts", "30 min",
		`<span aria-hidden="true">▲</span><span class="sr-only">up</span> <span class="n">0.5/day</span>, <strong>better</strong>`,
		`<span class="n">6.89 points</span>, <strong>worse</strong>`, "(before: <span class=\"n\">2%</span>)",
		"42 deploys in 28 days; 1.5/day per active application",
		// A chart per KPI, with title, description, axis titles and the band zones.
		`id="chart-deploys-title"`, `id="chart-lead-time-desc"`, "lead time (days)", "change failures of attempts (%)",
		`class="zone band-elite"`, "elite: < 1 day", "Where the lead time went per week (means)",
		"waiting for people", "canary analysis", "shaded: DORA bands",
		// The tables beside them: exact numbers; a week without attempts is no data, never 0%.
		`<th scope="row">2026-09-14</th><td data-label="Rate" class="num">no data</td>`,
		`<td data-label="Rate" class="num">100%</td>`, `<td data-label="Waiting for people" class="num">40 min</td>`,
		// Team and application rows narrow the page.
		`<a href="/kpi?by=week&amp;since=30d&amp;team=payments">payments</a>`,
		`<a href="/kpi?application=checkout&amp;by=week&amp;since=30d&amp;team=payments">checkout</a>`,
		`<span class="band band-low">low</span>`, `<span class="band band-medium">medium</span>`,
		// Adoption and the out-of-band changes.
		"2 of 3 configured (1 deployed in the period)", "Deployment/checkout-v002", "kubectl-edit", "image changed to checkout:hotfix",
		"through gennaker 93.3%",
		// The CSV of the same query from the API, the form keeps the filters.
		`href="/api/v1/kpi?by=week&amp;format=csv&amp;from=2026-10-29&amp;team=payments&amp;to=2026-11-28"`,
		`<option value="30d" selected>last 30d</option>`, `<option selected>week</option>`, `value="payments"`,
		"Computed <time", "up to event 1234",
	} {
		if !strings.Contains(body, want) && !strings.Contains(text, html.UnescapeString(want)) {
			t.Errorf("the KPI page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<svg class="plot kpi-chart"`); n != 9 {
		t.Errorf("%d charts, want 9", n)
	}
	// Every number in a table cell has at most four significant digits.
	cell := regexp.MustCompile(`<td[^>]*>([^<]*)</td>`)
	long := regexp.MustCompile(`\d{5,}|\d+\.\d{4,}`)
	for _, m := range cell.FindAllStringSubmatch(body, -1) {
		if long.MatchString(m[1]) {
			t.Errorf("a table cell shows a long number: %q", m[1])
		}
	}
}

// Without data, or on a server without reports, the page still renders
// every chart, saying there is no data.
func TestKPIPageEmpty(t *testing.T) {
	t.Parallel()
	for name, reports := range map[string]KPIReports{"no reporter": nil, "empty report": &fakeReports{}} {
		r := newKPIRig(t, reports)
		code, body := r.get("/kpi")
		if code != 200 {
			t.Fatalf("%s: GET /kpi: %d\n%s", name, code, body)
		}
		for _, want := range []string{"no production deploys in this period", "no data in this period", "no band", "no comparison",
			"No team deployed to production in this period.", "None in this period", "by week", `<option value="90d" selected>last 90d</option>`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", name, want)
			}
		}
		if n := strings.Count(body, `<svg class="plot kpi-chart"`); reports != nil && n != 9 {
			t.Errorf("%s: %d charts, want 9", name, n)
		}
		if reports == nil && !strings.Contains(body, "This server does not compute delivery KPIs") {
			t.Errorf("%s: no notice", name)
		}
	}
}

func TestKPIPageErrors(t *testing.T) {
	t.Parallel()
	reports := &fakeReports{rep: sampleReport()}
	r := newKPIRig(t, reports)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/kpi?by=year", 400, "by: &#34;year&#34; is not a bucket; use day, week or month"},
		{"/kpi?since=forever", 400, "since: &#34;forever&#34; is not a period"},
		{"/kpi?team=" + strings.Repeat("x", 300), 400, "team: 300 characters is too long"},
		// The form's period wins over a from and to of the address it came from.
		{"/kpi?from=2026-01-01&to=2026-02-01&since=30d", 200, `<option value="30d" selected>last 30d</option>`},
		{"/kpi?from=2026-01-01&to=2026-02-01", 200, `<input type="hidden" name="from" value="2026-01-01">`},
	} {
		code, body := r.get(tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q\n%s", tc.path, code, tc.code, tc.want, body)
		}
	}
	reports.mu.Lock()
	reports.err = errors.New("reading the rollups: disk on fire")
	reports.mu.Unlock()
	if code, body := r.get("/kpi"); code != 500 || !strings.Contains(body, "disk on fire") {
		t.Errorf("a failing report: %d\n%s", code, body)
	}
}
