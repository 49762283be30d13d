package kpi

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/gennaker/gennaker/internal/csvcell"
)

// CSV scopes: what a row of WriteCSV is about.
const (
	// ScopePoint: one bucket of the series; start is the bucket's start.
	ScopePoint = "point"
	// ScopeTeam: one team over the whole period.
	ScopeTeam = "team"
	// ScopeApplication: one application over the whole period.
	ScopeApplication = "application"
	// ScopeTotal: everything the query covers, over the whole period.
	ScopeTotal = "total"
	// ScopePrevious: the same over the period of the same length just before.
	ScopePrevious = "previous"
)

// CSVHeader is the header row of WriteCSV: the row's scope, name, team and
// start date, every Summary field by its JSON path, then the bands
// (docs/kpis.md, "CSV").
var CSVHeader = []string{
	"scope", "name", "team", "start",
	"days", "deploys", "attempts", "deploysPerDay", "deployDays",
	"changeFailures", "changeFailureRate", "failedDeploys", "rolledBack", "incidentCaused",
	"leadTime.count", "leadTime.median", "leadTime.p90", "leadTime.mean",
	"leadTimeParts.waitingToStart", "leadTimeParts.running", "leadTimeParts.waitingForPeople", "leadTimeParts.canaryAnalysis",
	"noCommitTime",
	"recoveryTime.count", "recoveryTime.median", "recoveryTime.p90", "recoveryTime.mean", "unrecovered",
	"rework", "reworkRate", "manualSteps", "stepsPerDeploy", "humanWait", "outOfBand", "throughGennaker",
	"bands.deploymentFrequency", "bands.leadTime", "bands.changeFailureRate", "bands.recoveryTime",
}

// WriteCSV writes r as CSV: the header, then one row per point, team and
// application, one for the whole period ("total") and one for the period
// before ("previous"). Durations are seconds at full precision, rates
// fractions, and a KPI with no data an empty cell. Text cells that a
// spreadsheet would read as a formula (starting with = + - @, a tab or a
// carriage return) are prefixed with a single quote: team and application
// names are written by users.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	write := func(scope, name, team string, start time.Time, s Summary, b *Bands) error {
		return cw.Write(csvRow(scope, name, team, start, s, b))
	}
	for _, p := range r.Points {
		if err := write(ScopePoint, "", "", p.Start, p.Summary, nil); err != nil {
			return err
		}
	}
	for _, t := range r.Teams {
		if err := write(ScopeTeam, t.Name, "", r.Query.From, t.Summary, &t.Bands); err != nil {
			return err
		}
	}
	for _, a := range r.Apps {
		if err := write(ScopeApplication, a.Name, a.Team, r.Query.From, a.Summary, &a.Bands); err != nil {
			return err
		}
	}
	if err := write(ScopeTotal, "", "", r.Query.From, r.Summary, &r.Bands); err != nil {
		return err
	}
	prev := r.Query.From.Add(-r.Query.To.Sub(r.Query.From))
	if err := write(ScopePrevious, "", "", prev, r.Previous, nil); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func csvRow(scope, name, team string, start time.Time, s Summary, b *Bands) []string {
	row := []string{scope, csvcell.Text(name), csvcell.Text(team), ""}
	if !start.IsZero() {
		row[3] = start.UTC().Format(time.DateOnly)
	}
	row = append(row,
		csvInt(s.Days), csvInt(s.Deploys), csvInt(s.Attempts), csvFloat(s.DeploysPerDay), csvInt(s.DeployDays),
		csvInt(s.ChangeFailures), csvOpt(s.ChangeFailureRate), csvInt(s.FailedDeploys), csvInt(s.RolledBack), csvInt(s.IncidentCaused),
		csvInt(s.LeadTime.Count), csvOpt(s.LeadTime.Median), csvOpt(s.LeadTime.P90), csvOpt(s.LeadTime.Mean),
		csvFloat(s.LeadTimeParts.WaitingToStart), csvFloat(s.LeadTimeParts.Running),
		csvFloat(s.LeadTimeParts.WaitingForPeople), csvFloat(s.LeadTimeParts.CanaryAnalysis),
		csvInt(s.NoCommitTime),
		csvInt(s.Recovery.Count), csvOpt(s.Recovery.Median), csvOpt(s.Recovery.P90), csvOpt(s.Recovery.Mean), csvInt(s.Unrecovered),
		csvInt(s.Rework), csvOpt(s.ReworkRate), csvInt(s.ManualSteps), csvOpt(s.StepsPerDeploy), csvFloat(s.HumanWait),
		csvInt(s.OutOfBand), csvOpt(s.ThroughGennaker),
	)
	if b == nil {
		return append(row, "", "", "", "")
	}
	return append(row, string(b.DeploymentFrequency), string(b.LeadTime), string(b.ChangeFailureRate), string(b.RecoveryTime))
}

func csvInt(n int) string { return strconv.Itoa(n) }

// csvFloat writes f with the fewest digits that read back as f, never in
// exponent form (spreadsheets read both, people the first).
func csvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// csvOpt is an empty cell for "no data".
func csvOpt(f *float64) string {
	if f == nil {
		return ""
	}
	return csvFloat(*f)
}
