package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

// printKPIReport prints a report for people: the headline (each key with
// its value, band and trend), where the lead time goes, steps to deploy,
// adoption, then the series and the rows per team and application.
func printKPIReport(w io.Writer, r *kpi.Report) {
	q := r.Query
	scope := "every team"
	var parts []string
	if q.Team != "" {
		parts = append(parts, "team "+q.Team)
	}
	if q.Application != "" {
		parts = append(parts, "application "+q.Application)
	}
	if q.Environment != "" {
		parts = append(parts, "environment "+q.Environment)
	}
	if len(parts) > 0 {
		scope = strings.Join(parts, ", ")
	}
	days := int(q.To.Sub(q.From).Hours() / 24)
	fmt.Fprintf(w, "Delivery KPIs of %s, %s to %s (%d days, production environments)\n", scope,
		q.From.Format(time.DateOnly), q.To.AddDate(0, 0, -1).Format(time.DateOnly), days)
	fmt.Fprintf(w, "Trends against %s to %s; folded up to event %d.\n\n",
		q.From.AddDate(0, 0, -days).Format(time.DateOnly), q.From.AddDate(0, 0, -1).Format(time.DateOnly), r.UpTo)

	s, p := r.Summary, r.Previous
	tw := table(w)
	fmt.Fprintln(tw, "KPI\tVALUE\tBAND\tBEFORE\tTREND")
	for _, k := range headline(s, p, r.Bands) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.name, k.value, orDashS(string(k.band)), k.before, k.trend)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d deploys went live of %d attempts; %d change failures (%d failed, %d rolled back, %d by incidents), %d not recovered yet.\n",
		s.Deploys, s.Attempts, s.ChangeFailures, s.FailedDeploys, s.RolledBack, s.IncidentCaused, s.Unrecovered)

	fmt.Fprintln(w)
	printLeadTimeParts(w, s)
	fmt.Fprintln(w)
	if s.StepsPerDeploy == nil {
		fmt.Fprintln(w, "Steps to deploy: no data (no production deploy attempts).")
	} else {
		fmt.Fprintf(w, "Steps to deploy: %s manual steps per deploy (%d over %d attempts), %s waiting for people.\n",
			num(*s.StepsPerDeploy), s.ManualSteps, s.Attempts, seconds(s.HumanWait))
	}
	a := r.Adoption
	fmt.Fprintf(w, "Adoption: %d of %d applications onboarded (%d active in the period), %d of %d teams, %d active users; through gennaker: %s (%d out-of-band changes).\n",
		a.OnboardedApps, a.Applications, a.ActiveApplications, a.OnboardedTeams, a.Teams, a.ActiveUsers, optPercent(s.ThroughGennaker), s.OutOfBand)

	if len(r.Points) > 0 {
		fmt.Fprintln(w)
		tw = table(w)
		fmt.Fprintln(tw, strings.ToUpper(string(q.By))+"\tDEPLOYS\tPER DAY\tLEAD TIME p50\tp90\tCHANGE FAILURES\tRECOVERY p50\tREWORK\tSTEPS/DEPLOY\tOUT-OF-BAND")
		for _, pt := range r.Points {
			x := pt.Summary
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", pt.Start.Format(time.DateOnly), x.Deploys, num(x.DeploysPerDay),
				optSeconds(x.LeadTime.Median), optSeconds(x.LeadTime.P90), rateOf(x.ChangeFailures, x.ChangeFailureRate),
				optSeconds(x.Recovery.Median), optPercent(x.ReworkRate), optNum(x.StepsPerDeploy), x.OutOfBand)
		}
		_ = tw.Flush()
	}
	printKPIRows(w, "TEAM", r.Teams, false)
	printKPIRows(w, "APPLICATION", r.Apps, true)
	if oob := a.OutOfBandChanges; len(oob) > 0 {
		fmt.Fprintln(w)
		tw = table(w)
		fmt.Fprintln(tw, "OUT-OF-BAND CHANGE\tAPPLICATION\tENVIRONMENT\tOBJECT\tBY\tDETAIL")
		for _, c := range oob {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Time.UTC().Format("2006-01-02 15:04"), orDashS(c.Application), c.Environment,
				c.Object, orDashS(c.Actor), oneLine(c.Detail, 60))
		}
		_ = tw.Flush()
	}
}

// kpiLine is one headline row.
type kpiLine struct {
	name, value, before, trend string
	band                       kpi.Band
}

// headline is the keys of s with their bands and trends against p.
func headline(s, p kpi.Summary, b kpi.Bands) []kpiLine {
	perDay := func(x kpi.Summary) *float64 {
		if x.Days == 0 {
			return nil
		}
		v := x.DeploysPerDay
		return &v
	}
	return []kpiLine{
		{"Deployment frequency", perDayText(perDay(s)), perDayText(perDay(p)), trend(perDay(s), perDay(p), true), b.DeploymentFrequency},
		{"Lead time, median", optSeconds(s.LeadTime.Median), optSeconds(p.LeadTime.Median), trend(s.LeadTime.Median, p.LeadTime.Median, false), b.LeadTime},
		{"Lead time, p90", optSeconds(s.LeadTime.P90), optSeconds(p.LeadTime.P90), trend(s.LeadTime.P90, p.LeadTime.P90, false), ""},
		{"Change failure rate", optPercent(s.ChangeFailureRate), optPercent(p.ChangeFailureRate), trend(s.ChangeFailureRate, p.ChangeFailureRate, false), b.ChangeFailureRate},
		{"Recovery time, median", optSeconds(s.Recovery.Median), optSeconds(p.Recovery.Median), trend(s.Recovery.Median, p.Recovery.Median, false), b.RecoveryTime},
		{"Recovery time, p90", optSeconds(s.Recovery.P90), optSeconds(p.Recovery.P90), trend(s.Recovery.P90, p.Recovery.P90, false), ""},
		{"Rework rate", optPercent(s.ReworkRate), optPercent(p.ReworkRate), trend(s.ReworkRate, p.ReworkRate, false), ""},
		{"Manual steps per deploy", optNum(s.StepsPerDeploy), optNum(p.StepsPerDeploy), trend(s.StepsPerDeploy, p.StepsPerDeploy, false), ""},
		{"Through gennaker", optPercent(s.ThroughGennaker), optPercent(p.ThroughGennaker), trend(s.ThroughGennaker, p.ThroughGennaker, true), ""},
	}
}

func printLeadTimeParts(w io.Writer, s kpi.Summary) {
	lt := s.LeadTime
	if lt.Mean == nil || lt.Count == 0 {
		fmt.Fprintf(w, "Lead time: no data (%d deploys without a commit time).\n", s.NoCommitTime)
		return
	}
	fmt.Fprintf(w, "Where the lead time goes (mean %s over %d deploys; %d without a commit time):\n", seconds(*lt.Mean), lt.Count, s.NoCommitTime)
	tw := table(w)
	pt := s.LeadTimeParts
	for _, part := range []struct {
		name string
		v    float64
	}{{"waiting to start", pt.WaitingToStart}, {"running", pt.Running}, {"waiting for people", pt.WaitingForPeople}, {"canary analysis", pt.CanaryAnalysis}} {
		share := "-"
		if *lt.Mean > 0 {
			share = num(part.v / *lt.Mean * 100) + "%"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", part.name, seconds(part.v), share)
	}
	_ = tw.Flush()
}

func printKPIRows(w io.Writer, what string, rows []kpi.Row, withTeam bool) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := table(w)
	head := what + "\t"
	if withTeam {
		head += "TEAM\t"
	}
	fmt.Fprintln(tw, head+"DEPLOYS\tPER DAY\tLEAD TIME p50\tCHANGE FAILURES\tRECOVERY p50\tREWORK\tSTEPS/DEPLOY\tBANDS (freq/lead/fail/recovery)")
	for _, r := range rows {
		x := r.Summary
		line := r.Name + "\t"
		if withTeam {
			line += orDashS(r.Team) + "\t"
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", line, x.Deploys, num(x.DeploysPerDay), optSeconds(x.LeadTime.Median),
			rateOf(x.ChangeFailures, x.ChangeFailureRate), optSeconds(x.Recovery.Median), optPercent(x.ReworkRate),
			optNum(x.StepsPerDeploy), bandsText(r.Bands))
	}
	_ = tw.Flush()
}

func bandsText(b kpi.Bands) string {
	return strings.Join([]string{orDashS(string(b.DeploymentFrequency)), orDashS(string(b.LeadTime)),
		orDashS(string(b.ChangeFailureRate)), orDashS(string(b.RecoveryTime))}, "/")
}

// noData is how a KPI over nothing reads.
const noData = kpi.NoData

func num(v float64) string                               { return kpi.FormatNumber(v) }
func seconds(v float64) string                           { return kpi.FormatSeconds(v) }
func optNum(v *float64) string                           { return kpi.Opt(v, kpi.FormatNumber) }
func optSeconds(v *float64) string                       { return kpi.Opt(v, kpi.FormatSeconds) }
func optPercent(v *float64) string                       { return kpi.Opt(v, kpi.FormatPercent) }
func trend(cur, prev *float64, higherBetter bool) string { return kpi.Trend(cur, prev, higherBetter) }

// rateOf prints a count with its rate: "3 (25%)".
func rateOf(n int, rate *float64) string {
	if rate == nil {
		return noData
	}
	return fmt.Sprintf("%d (%s)", n, optPercent(rate))
}

func perDayText(v *float64) string {
	if v == nil {
		return noData
	}
	return num(*v) + "/day"
}

func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
