package kpi

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"
	"time"
)

func ptr(f float64) *float64 { return &f }

func csvReport() *Report {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	full := Summary{
		Days: 14, Deploys: 10, Attempts: 12, DeploysPerDay: 10.0 / 14, DeployDays: 7,
		ChangeFailures: 3, ChangeFailureRate: ptr(0.25), FailedDeploys: 2, RolledBack: 1,
		LeadTime:      Dist{Count: 8, Median: ptr(3600.5), P90: ptr(86400), Mean: ptr(7200.125)},
		LeadTimeParts: Parts{WaitingToStart: 60, Running: 6000.125, WaitingForPeople: 1000, CanaryAnalysis: 140},
		NoCommitTime:  2, Recovery: Dist{Count: 2, Median: ptr(1800), P90: ptr(2700), Mean: ptr(1800)}, Unrecovered: 1,
		Rework: 1, ReworkRate: ptr(1.0 / 12), ManualSteps: 30, StepsPerDeploy: ptr(2.5), HumanWait: 1234.5,
		OutOfBand: 1, ThroughGennaker: ptr(10.0 / 11),
	}
	empty := Summary{Days: 7}
	return &Report{
		Query:    Query{From: day("2026-11-20"), To: day("2026-12-04"), By: BucketWeek},
		Summary:  full,
		Previous: empty,
		Bands:    Bands{DeploymentFrequency: BandHigh, LeadTime: BandElite, ChangeFailureRate: BandLow, RecoveryTime: BandElite},
		Points:   []Point{{Start: day("2026-11-16"), Summary: empty}, {Start: day("2026-11-23"), Summary: full}},
		Teams:    []Row{{Name: "=HYPERLINK(\"x\")", Summary: full, Bands: Bands{LeadTime: BandHigh}}},
		Apps:     []Row{{Name: "checkout", Team: "@payments", Summary: full}, {Name: "-cart", Team: "+x", Summary: empty}},
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, csvReport()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	if len(rows) != 1+2+1+2+2 {
		t.Fatalf("%d rows, want 8 (header, 2 points, 1 team, 2 applications, total, previous)", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(row int, name string) string {
		t.Helper()
		i, ok := col[name]
		if !ok {
			t.Fatalf("no column %q", name)
		}
		return rows[row][i]
	}
	for i, r := range rows {
		if len(r) != len(CSVHeader) {
			t.Errorf("row %d has %d cells, want %d", i, len(r), len(CSVHeader))
		}
	}
	scopes := []string{"point", "point", "team", "application", "application", "total", "previous"}
	for i, want := range scopes {
		if got := get(i+1, "scope"); got != want {
			t.Errorf("row %d: scope %q, want %q", i+1, got, want)
		}
	}
	checks := []struct {
		row       int
		col, want string
	}{
		{1, "start", "2026-11-16"},
		{1, "changeFailureRate", ""}, // no data
		{1, "leadTime.median", ""},
		{1, "bands.leadTime", ""},
		{2, "leadTime.median", "3600.5"},
		{2, "leadTimeParts.running", "6000.125"},
		{2, "changeFailureRate", "0.25"},
		{3, "name", "'=HYPERLINK(\"x\")"},
		{3, "bands.leadTime", "high"},
		{3, "bands.changeFailureRate", ""},
		{4, "name", "checkout"},
		{4, "team", "'@payments"},
		{5, "name", "'-cart"},
		{5, "team", "'+x"},
		{6, "start", "2026-11-20"},
		{6, "bands.changeFailureRate", "low"},
		{6, "humanWait", "1234.5"},
		{7, "start", "2026-11-06"},
		{7, "deploys", "0"},
		{7, "bands.deploymentFrequency", ""},
	}
	for _, c := range checks {
		if got := get(c.row, c.col); got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
		}
	}
	// Full precision: the cells read back as the very floats.
	for _, c := range []struct {
		col  string
		want float64
	}{{"deploysPerDay", 10.0 / 14}, {"reworkRate", 1.0 / 12}, {"throughGennaker", 10.0 / 11}} {
		got, err := strconv.ParseFloat(get(6, c.col), 64)
		if err != nil || got != c.want {
			t.Errorf("total %s = %q, want %v exactly", c.col, get(6, c.col), c.want)
		}
	}
}
