package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"

	"github.com/gennaker/gennaker/internal/kpi"
)

// kpiView is the KPI page: a pure function of a report and the filters.
type kpiView struct {
	Filter kpiFilter
	// SinceChoices and ByChoices are the filter form's options.
	SinceChoices, ByChoices []string
	// SelectedSince is the period chosen in the form ("" for from and to).
	SelectedSince string
	// ProductionEnvs and Teams, Apps suggest filter values.
	ProductionEnvs []string
	TeamNames      []string
	AppNames       []string
	// Period says what the report covers; Previous the period it is compared with.
	Period, Previous string
	Query            kpi.Query
	ComputedAt       time.Time
	UpTo             int64
	// CSV is the address of the same report as CSV (the API).
	CSV string
	// Notice says why the page cannot show KPIs, if it cannot.
	Notice   string
	Cards    []kpiCard
	Sections []kpiSection
	Teams    []kpiRowView
	Apps     []kpiRowView
	Adoption kpiAdoption
}

// kpiCard is a headline KPI: its value, DORA band and trend.
type kpiCard struct {
	ID, Name string
	Value    string
	// Band is the DORA band; HasBand is false for KPIs DORA does not grade.
	Band    kpi.Band
	HasBand bool
	Sub     string
	Trend   trendView
}

// kpiSection is one KPI's charts, each with its table.
type kpiSection struct {
	ID, Title string
	Band      kpi.Band
	HasBand   bool
	// About says how the KPI is counted and, for a banded one, the bands.
	About   string
	Figures []kpiFigure
}

type kpiFigure struct {
	Chart   chart
	Caption string
	Table   kpiTable
}

// kpiTable is a chart's numbers: a row per bucket.
type kpiTable struct {
	Caption string
	Head    []string
	Rows    []kpiTableRow
}

type kpiTableRow struct {
	Head  string
	Cells []kpiCell
}

// kpiCell is a table cell and its column's name (shown beside it when
// tables stack on narrow screens).
type kpiCell struct{ Label, Text string }

// Body is the table's rows as HTML, written here rather than by the
// template: a year by day is nine tables of 365 rows, and the template
// engine's reflection per cell made the page four times slower.
func (t kpiTable) Body() template.HTML {
	var b strings.Builder
	for _, r := range t.Rows {
		b.WriteString(`<tr><th scope="row">`)
		b.WriteString(html.EscapeString(r.Head))
		b.WriteString(`</th>`)
		for _, c := range r.Cells {
			b.WriteString(`<td data-label="`)
			b.WriteString(html.EscapeString(c.Label))
			b.WriteString(`" class="num">`)
			b.WriteString(html.EscapeString(c.Text))
			b.WriteString(`</td>`)
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every part is escaped above
}

// kpiRowView is a team's or application's row.
type kpiRowView struct {
	Name, Href         string
	Team, TeamHref     string
	Deploys, PerDay    string
	FreqBand           kpi.Band
	LeadTime, LeadP90  string
	LeadBand           kpi.Band
	CFR, Failures      string
	CFRBand            kpi.Band
	Recovery           string
	RecoveryBand       kpi.Band
	Rework, Steps, Thr string
}

// kpiAdoption is the paved road's reach.
type kpiAdoption struct {
	kpi.Adoption
	OutOfBand int
	Through   string
}

// DORA's bands as zones of the charts (docs/kpis.md, "Bands").
var (
	leadTimeZones = []bandZone{{kpi.BandElite, 0, 86400, "< 1 day"}, {kpi.BandHigh, 86400, 7 * 86400, "< 7 days"},
		{kpi.BandMedium, 7 * 86400, 30 * 86400, "< 30 days"}, {kpi.BandLow, 30 * 86400, math.Inf(1), "≥ 30 days"}}
	cfrZones = []bandZone{{kpi.BandElite, 0, 0.05, "≤ 5%"}, {kpi.BandHigh, 0.05, 0.10, "≤ 10%"},
		{kpi.BandMedium, 0.10, 0.15, "≤ 15%"}, {kpi.BandLow, 0.15, math.Inf(1), "above 15%"}}
	recoveryZones = []bandZone{{kpi.BandElite, 0, 3600, "< 1 hour"}, {kpi.BandHigh, 3600, 86400, "< 1 day"},
		{kpi.BandMedium, 86400, 7 * 86400, "< 7 days"}, {kpi.BandLow, 7 * 86400, math.Inf(1), "≥ 7 days"}}
)

func buildKPIPage(rep *kpi.Report, f kpiFilter) kpiView {
	q := rep.Query
	v := kpiView{Filter: f, SinceChoices: kpiSinceChoices, ByChoices: []string{"day", "week", "month"}, Query: q,
		ComputedAt: rep.ComputedAt, UpTo: rep.UpTo}
	if f.Since != "" && f.From == "" && !slices.Contains(v.SinceChoices, f.Since) {
		v.SinceChoices = append([]string{f.Since}, v.SinceChoices...)
	}
	switch {
	case f.From != "":
	case f.Since != "":
		v.SelectedSince = f.Since
	default:
		v.SelectedSince = "90d"
	}
	if v.Filter.By == "" {
		v.Filter.By = string(q.By)
	}
	days := int(q.To.Sub(q.From).Hours() / 24)
	last := q.To.AddDate(0, 0, -1)
	v.Period = fmt.Sprintf("%s through %s (UTC), %d days, by %s", q.From.Format(time.DateOnly), last.Format(time.DateOnly), days, q.By)
	v.Previous = fmt.Sprintf("the %d days before (%s through %s)", days, q.From.AddDate(0, 0, -days).Format(time.DateOnly), q.From.AddDate(0, 0, -1).Format(time.DateOnly))
	csv := q.Values()
	csv.Set("format", "csv")
	v.CSV = "/api/v1/kpi?" + csv.Encode()
	v.Cards = kpiCards(rep)
	v.Sections = kpiSections(rep)
	for _, r := range rep.Teams {
		v.TeamNames = append(v.TeamNames, r.Name)
		v.Teams = append(v.Teams, kpiRow(r, f.with("team", r.Name, "application", ""), ""))
	}
	for _, r := range rep.Apps {
		v.AppNames = append(v.AppNames, r.Name)
		teamHref := ""
		if r.Team != "" {
			teamHref = f.with("team", r.Team, "application", "")
		}
		v.Apps = append(v.Apps, kpiRow(r, f.with("application", r.Name), teamHref))
	}
	v.Adoption = kpiAdoption{Adoption: rep.Adoption, OutOfBand: rep.Summary.OutOfBand, Through: fmtOpt(rep.Summary.ThroughGennaker, fmtPct)}
	return v
}

// kpiCards are the headline numbers: DORA's four keys with their bands,
// then rework, steps and the paved road's share.
func kpiCards(rep *kpi.Report) []kpiCard {
	s, p := rep.Summary, rep.Previous
	var perDay, prevPerDay *float64
	if s.Days > 0 {
		perDay = fptr(s.DeploysPerDay)
	}
	if p.Days > 0 {
		prevPerDay = fptr(p.DeploysPerDay)
	}
	freqSub := fmt.Sprintf("%s deploys in %d days", fmtCount(s.Deploys), s.Days)
	if a := rep.Adoption.ActiveApplications; a > 0 && s.Days > 0 {
		freqSub += fmt.Sprintf("; %s per active application", fmtRate(s.DeploysPerDay/float64(a)))
	}
	steps, prevSteps := s.StepsPerDeploy, p.StepsPerDeploy
	return []kpiCard{
		{ID: "deploys", Name: "Deployment frequency", Value: fmtOpt(perDay, fmtRate), Band: rep.Bands.DeploymentFrequency, HasBand: true,
			Sub: freqSub, Trend: trend(perDay, prevPerDay, true, fmtRate, fmtRate)},
		{ID: "lead-time", Name: "Lead time for changes (median)", Value: fmtOpt(s.LeadTime.Median, fmtSeconds), Band: rep.Bands.LeadTime, HasBand: true,
			Sub:   "p90 " + fmtOpt(s.LeadTime.P90, fmtSeconds) + fmt.Sprintf(", over %s deploys", fmtCount(s.LeadTime.Count)),
			Trend: trend(s.LeadTime.Median, p.LeadTime.Median, false, fmtSeconds, fmtSeconds)},
		{ID: "change-failure-rate", Name: "Change failure rate", Value: fmtOpt(s.ChangeFailureRate, fmtPct), Band: rep.Bands.ChangeFailureRate, HasBand: true,
			Sub:   fmt.Sprintf("%s change failures in %s attempts", fmtCount(s.ChangeFailures), fmtCount(s.Attempts)),
			Trend: trend(s.ChangeFailureRate, p.ChangeFailureRate, false, fmtPoints, fmtPct)},
		{ID: "recovery", Name: "Failed deployment recovery time (median)", Value: fmtOpt(s.Recovery.Median, fmtSeconds), Band: rep.Bands.RecoveryTime, HasBand: true,
			Sub:   "p90 " + fmtOpt(s.Recovery.P90, fmtSeconds) + fmt.Sprintf(", %s restored, %s not yet", fmtCount(s.Recovery.Count), fmtCount(s.Unrecovered)),
			Trend: trend(s.Recovery.Median, p.Recovery.Median, false, fmtSeconds, fmtSeconds)},
		{ID: "rework", Name: "Rework rate", Value: fmtOpt(s.ReworkRate, fmtPct),
			Sub:   fmt.Sprintf("%s rework deploys", fmtCount(s.Rework)),
			Trend: trend(s.ReworkRate, p.ReworkRate, false, fmtPoints, fmtPct)},
		{ID: "steps", Name: "Manual steps per deploy", Value: fmtOpt(steps, fmtSig3),
			Sub:   "waited for people " + fmtSeconds(s.HumanWait) + " in all",
			Trend: trend(steps, prevSteps, false, fmtSig3, fmtSig3)},
		{ID: "through", Name: "Through gennaker", Value: fmtOpt(s.ThroughGennaker, fmtPct),
			Sub:   fmt.Sprintf("%s out-of-band changes", fmtCount(s.OutOfBand)),
			Trend: trend(s.ThroughGennaker, p.ThroughGennaker, true, fmtPoints, fmtPct)},
	}
}

func fmtSig3(f float64) string { return analysis.FormatSig(f, 3) }

// kpiRow is a team's or application's row; href narrows the page to it.
func kpiRow(r kpi.Row, href, teamHref string) kpiRowView {
	s := r.Summary
	return kpiRowView{Name: r.Name, Href: href, Team: r.Team, TeamHref: teamHref,
		Deploys: fmtCount(s.Deploys), PerDay: fmtRate(s.DeploysPerDay), FreqBand: r.Bands.DeploymentFrequency,
		LeadTime: fmtOpt(s.LeadTime.Median, fmtSeconds), LeadP90: fmtOpt(s.LeadTime.P90, fmtSeconds), LeadBand: r.Bands.LeadTime,
		CFR: fmtOpt(s.ChangeFailureRate, fmtPct), Failures: fmt.Sprintf("%s of %s", fmtCount(s.ChangeFailures), fmtCount(s.Attempts)), CFRBand: r.Bands.ChangeFailureRate,
		Recovery: fmtOpt(s.Recovery.Median, fmtSeconds), RecoveryBand: r.Bands.RecoveryTime,
		Rework: fmtOpt(s.ReworkRate, fmtPct), Steps: fmtOpt(s.StepsPerDeploy, fmtSig3), Thr: fmtOpt(s.ThroughGennaker, fmtPct)}
}
