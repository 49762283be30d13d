package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

var updateKPI = flag.Bool("update", false, "rewrite testdata/kpi_report.golden from the current output")

func f(v float64) *float64 { return &v }

// kpiSample is a hand-built report: two weeks of one team, one week with
// data and one without, a team and two applications.
func kpiSample() *kpi.Report {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	full := kpi.Summary{
		Days: 14, Deploys: 10, Attempts: 12, DeploysPerDay: 10.0 / 14, DeployDays: 7,
		ChangeFailures: 3, ChangeFailureRate: f(0.25), FailedDeploys: 2, RolledBack: 1,
		LeadTime:      kpi.Dist{Count: 8, Median: f(3 * 3600), P90: f(2.5 * 86400), Mean: f(10000)},
		LeadTimeParts: kpi.Parts{WaitingToStart: 600, Running: 5400, WaitingForPeople: 3000, CanaryAnalysis: 1000},
		NoCommitTime:  2, Recovery: kpi.Dist{Count: 2, Median: f(1800), P90: f(2700), Mean: f(1800)}, Unrecovered: 1,
		Rework: 1, ReworkRate: f(1.0 / 12), ManualSteps: 30, StepsPerDeploy: f(2.5), HumanWait: 36000,
		OutOfBand: 1, ThroughGennaker: f(10.0 / 11),
	}
	prev := kpi.Summary{
		Days: 14, Deploys: 5, Attempts: 5, DeploysPerDay: 5.0 / 14, ChangeFailures: 0, ChangeFailureRate: f(0),
		LeadTime: kpi.Dist{Count: 5, Median: f(6 * 3600), P90: f(86400), Mean: f(20000)}, ManualSteps: 20,
		StepsPerDeploy: f(4), ThroughGennaker: f(1), ReworkRate: f(0),
	}
	empty := kpi.Summary{Days: 7}
	return &kpi.Report{
		Query:    kpi.Query{Team: "payments", From: day("2026-11-20"), To: day("2026-12-04"), By: kpi.BucketWeek},
		Summary:  full,
		Previous: prev,
		Bands:    kpi.Bands{DeploymentFrequency: kpi.BandHigh, LeadTime: kpi.BandElite, ChangeFailureRate: kpi.BandLow, RecoveryTime: kpi.BandElite},
		Points:   []kpi.Point{{Start: day("2026-11-16"), Summary: empty}, {Start: day("2026-11-23"), Summary: full}},
		Teams:    []kpi.Row{{Name: "payments", Summary: full, Bands: kpi.Bands{DeploymentFrequency: kpi.BandHigh, LeadTime: kpi.BandElite, ChangeFailureRate: kpi.BandLow, RecoveryTime: kpi.BandElite}}},
		Apps: []kpi.Row{
			{Name: "checkout", Team: "payments", Summary: full, Bands: kpi.Bands{LeadTime: kpi.BandElite}},
			{Name: "ledger", Team: "payments", Summary: empty},
		},
		Adoption: kpi.Adoption{Applications: 3, OnboardedApps: 2, ActiveApplications: 1, Teams: 1, OnboardedTeams: 1, ActiveUsers: 4,
			OutOfBandChanges: []kpi.OutOfBandChange{{Time: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC), Application: "checkout",
				Environment: "prod", Object: "Deployment/checkout", Actor: "kubectl-edit (alice)", Detail: "image changed to checkout:hotfix"}}},
		UpTo: 4242,
	}
}

// The table reads like docs/kpis.md: keys with bands and trends, the lead
// time's parts, steps, adoption, and the tables per week, team and
// application (testdata/kpi_report.golden; go test -run TestPrintKPIReport -update rewrites it).
func TestPrintKPIReport(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	printKPIReport(&b, kpiSample())
	golden := filepath.Join("testdata", "kpi_report.golden")
	if *updateKPI {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPrintKPIReport -update ./cmd/gennaker to write it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("output differs from %s (-update rewrites it):\n%s", golden, got)
	}
	// What the golden file must say, whatever its layout.
	for _, line := range []string{
		"Delivery KPIs of team payments, 2026-11-20 to 2026-12-03 (14 days",
		"Change failure rate", "25%", "low", "up from 0, worse",
		"Lead time, median", "3h", "6h", "-50%, better",
		"Manual steps per deploy", "2.5", "-37.5%, better",
		"Deployment frequency", "0.7143/day", "+100%, better",
		"waiting for people", "50m", "30%",
		"2 of 3 applications onboarded",
		"through gennaker: 90.91%",
		"2026-11-16", "no data",
		"checkout", "elite",
		"Deployment/checkout",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("output lacks %q", line)
		}
	}
}

func TestKPINumbers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{seconds(45), "45s"}, {seconds(90), "1.5m"}, {seconds(3600 * 3.25), "3.25h"}, {seconds(86400 * 2.123456), "2.123d"},
		{seconds(12.3456789), "12.35s"}, {optSeconds(nil), "no data"}, {optPercent(f(0.0423456)), "4.235%"},
		{num(123456.7), "123457"}, {num(0.000123456), "0.0001235"}, {num(posInf()), "∞"},
		{trend(f(2), f(1), true), "+100%, better"}, {trend(f(2), f(1), false), "+100%, worse"},
		{trend(f(1), f(1), true), "same"}, {trend(f(1), nil, true), "new (no data before)"}, {trend(nil, f(1), true), "no data now"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func posInf() float64 { var z float64; return 1 / z }

// Output and query flags are checked before the server is asked, with
// the words of kpi.ParseQuery.
func TestKPIFlags(t *testing.T) {
	t.Parallel()
	if err := checkKPIOutput("yaml"); err == nil || !strings.Contains(err.Error(), "table, json or csv") {
		t.Errorf("-o yaml: %v", err)
	}
	_, err := kpi.ParseQuery(kpiValues("", "", "", "90d", "2026-01-01", "", "week"), time.Now())
	if err == nil || !strings.Contains(err.Error(), "from and since") {
		t.Errorf("--since with --from: %v", err)
	}
	v := kpiValues("t", "a", "e", "", "2026-01-01", "2026-02-01", "month")
	if got := v.Encode(); got != "application=a&by=month&environment=e&from=2026-01-01&team=t&to=2026-02-01" {
		t.Errorf("values %s", got)
	}
}

// runKPI runs `gennaker kpi` in-process against server.
func runKPI(t *testing.T, server string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"kpi", "--server", server, "--token", "t"}, args...))
	err := root.Execute()
	return out.String(), err
}

// The command asks GET /api/v1/kpi with kpi.ParseQuery's parameters,
// renders CSV from the JSON, and says the server's error as it came.
func TestKPICommand(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("environment") == "nowhere" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"environment: nowhere is not an environment; see gennaker environments"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(kpiSample())
	}))
	defer srv.Close()

	out, err := runKPI(t, srv.URL, "--team", "payments", "--since", "14d", "-o", "csv")
	if err != nil {
		t.Fatal(err)
	}
	seen := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), asked...) }
	want := "/api/v1/kpi?by=week&since=14d&team=payments"
	if a := seen(); len(a) != 1 || a[0] != want {
		t.Errorf("asked %v, want %s", a, want)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 8 || rows[6][0] != "total" {
		t.Errorf("csv: %v, %d rows:\n%s", err, len(rows), out)
	}

	_, err = runKPI(t, srv.URL, "--env", "nowhere")
	if err == nil || err.Error() != "environment: nowhere is not an environment; see gennaker environments" {
		t.Errorf("server error: %v", err)
	}
	_, err = runKPI(t, srv.URL, "--by", "year")
	if err == nil || !strings.Contains(err.Error(), "by: \"year\" is not a bucket") || len(seen()) != 2 {
		t.Errorf("--by year: %v (asked %v: a bad flag is caught before the server)", err, seen())
	}
}
