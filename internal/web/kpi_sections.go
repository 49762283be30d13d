package web

import (
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

// kpiSections are the page's charts, one section per KPI, each chart with
// a table of the same numbers.
func kpiSections(rep *kpi.Report) []kpiSection {
	pts := rep.Points
	buckets := make([]time.Time, len(pts))
	for i, p := range pts {
		buckets[i] = p.Start
	}
	by := rep.Query.By
	// col takes a value from each point's summary.
	col := func(f func(kpi.Summary) *float64) []*float64 {
		out := make([]*float64, len(pts))
		for i, p := range pts {
			out[i] = f(p.Summary)
		}
		return out
	}
	count := func(f func(kpi.Summary) int) []*float64 {
		return col(func(s kpi.Summary) *float64 { return fptr(float64(f(s))) })
	}
	// table makes a row per bucket of the named columns.
	table := func(caption string, head []string, cells func(kpi.Summary) []string) kpiTable {
		t := kpiTable{Caption: caption + "; " + string(by) + "s in UTC", Head: append([]string{bucketColumn(by)}, head...)}
		for _, p := range pts {
			row := kpiTableRow{Head: bucketRowName(by, p.Start)}
			for j, c := range cells(p.Summary) {
				row.Cells = append(row.Cells, kpiCell{Label: head[j], Text: c})
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	spec := func(id, title string, kind chartKind, ss ...series) chartSpec {
		return chartSpec{ID: id, Title: title, Kind: kind, By: by, Buckets: buckets, Series: ss}
	}
	leadParts := func(f func(kpi.Parts) float64) []*float64 {
		return col(func(s kpi.Summary) *float64 {
			if s.LeadTime.Count == 0 {
				return nil
			}
			return fptr(f(s.LeadTimeParts))
		})
	}

	deploys := spec("chart-deploys", "Production deploys per "+string(by), barChart, series{Name: "deploys", Class: "s1", Values: count(func(s kpi.Summary) int { return s.Deploys })})
	deploys.Integer, deploys.YTitle, deploys.Value, deploys.Empty = true, "deploys", func(v float64) string { return fmtCount(int(v)) }, "no production deploys in this period"

	lead := spec("chart-lead-time", "Lead time for changes per "+string(by)+": median and p90", lineChart,
		series{Name: "median", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.LeadTime.Median })},
		series{Name: "p90", Class: "s2", Values: col(func(s kpi.Summary) *float64 { return s.LeadTime.P90 })})
	lead.Duration, lead.YTitle, lead.Value, lead.Zones = true, "lead time", fmtSeconds, leadTimeZones

	parts := spec("chart-lead-time-parts", "Where the lead time went per "+string(by)+" (means)", stackChart,
		series{Name: "waiting to start", Class: "p1", Values: leadParts(func(p kpi.Parts) float64 { return p.WaitingToStart })},
		series{Name: "running", Class: "p2", Values: leadParts(func(p kpi.Parts) float64 { return p.Running })},
		series{Name: "waiting for people", Class: "p3", Values: leadParts(func(p kpi.Parts) float64 { return p.WaitingForPeople })},
		series{Name: "canary analysis", Class: "p4", Values: leadParts(func(p kpi.Parts) float64 { return p.CanaryAnalysis })})
	parts.Duration, parts.YTitle, parts.Value = true, "mean lead time", fmtSeconds

	cfr := spec("chart-change-failure-rate", "Change failure rate per "+string(by), lineChart,
		series{Name: "change failure rate", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.ChangeFailureRate })})
	cfr.Unit, cfr.YTitle, cfr.Value, cfr.Zones = percentUnit, "change failures of attempts", fmtPct, cfrZones

	rec := spec("chart-recovery", "Failed deployment recovery time per "+string(by)+": median and p90", lineChart,
		series{Name: "median", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.Recovery.Median })},
		series{Name: "p90", Class: "s2", Values: col(func(s kpi.Summary) *float64 { return s.Recovery.P90 })})
	rec.Duration, rec.YTitle, rec.Value, rec.Zones = true, "recovery time", fmtSeconds, recoveryZones

	rework := spec("chart-rework", "Rework rate per "+string(by), lineChart,
		series{Name: "rework rate", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.ReworkRate })})
	rework.Unit, rework.YTitle, rework.Value = percentUnit, "rework deploys of attempts", fmtPct

	steps := spec("chart-steps", "Manual steps per production deploy, per "+string(by), lineChart,
		series{Name: "steps per deploy", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.StepsPerDeploy })})
	steps.YTitle, steps.Value = "manual steps per deploy", fmtSig3

	waitPer := col(func(s kpi.Summary) *float64 { return ratio(s.HumanWait, float64(s.Attempts)) })
	wait := spec("chart-human-wait", "Time waited for people per production deploy, per "+string(by), lineChart,
		series{Name: "human wait per deploy", Class: "s1", Values: waitPer})
	wait.Duration, wait.YTitle, wait.Value = true, "wait per deploy", fmtSeconds

	through := spec("chart-through", "Share of production changes through gennaker, per "+string(by), lineChart,
		series{Name: "through gennaker", Class: "s1", Values: col(func(s kpi.Summary) *float64 { return s.ThroughGennaker })})
	through.Unit, through.YTitle, through.Value = percentUnit, "deploys of all production changes", fmtPct

	b := rep.Bands
	return []kpiSection{
		{ID: "deploys", Title: "Deployment frequency", Band: b.DeploymentFrequency, HasBand: true,
			About: "Production deploys that went live. The band grades deploys per day per active application over the whole period: elite ≥ 1, high ≥ 1/7, medium ≥ 1/30, low below.",
			Figures: []kpiFigure{{Chart: buildChart(deploys), Caption: "Bars: production deploys that went live in each " + string(by) + ".",
				Table: table("Production deploys", []string{"Deploys", "Attempts", "Per day"}, func(s kpi.Summary) []string {
					return []string{fmtCount(s.Deploys), fmtCount(s.Attempts), fmtRate(s.DeploysPerDay)}
				})}}},
		{ID: "lead-time", Title: "Lead time for changes", Band: b.LeadTime, HasBand: true,
			About: "From the commit to the deploy taking all traffic in production. The band grades the median: elite < 1 day, high < 7 days, medium < 30 days, low ≥ 30 days.",
			Figures: []kpiFigure{
				{Chart: buildChart(lead), Caption: "Lines: median and p90 lead time of the deploys that went live in each " + string(by) + "; shaded: the bands of the median.",
					Table: table("Lead time", []string{"Median", "p90", "With commit time", "Without"}, func(s kpi.Summary) []string {
						return []string{fmtOpt(s.LeadTime.Median, fmtSeconds), fmtOpt(s.LeadTime.P90, fmtSeconds), fmtCount(s.LeadTime.Count), fmtCount(s.NoCommitTime)}
					})},
				{Chart: buildChart(parts), Caption: "Stacked bars: the mean lead time split where it went (means add up; medians do not).",
					Table: table("Where the lead time went (means)", []string{"Waiting to start", "Running", "Waiting for people", "Canary analysis", "Mean lead time"}, func(s kpi.Summary) []string {
						if s.LeadTime.Count == 0 {
							return []string{noData, noData, noData, noData, noData}
						}
						p := s.LeadTimeParts
						return []string{fmtSeconds(p.WaitingToStart), fmtSeconds(p.Running), fmtSeconds(p.WaitingForPeople), fmtSeconds(p.CanaryAnalysis), fmtOpt(s.LeadTime.Mean, fmtSeconds)}
					})}}},
		{ID: "change-failure-rate", Title: "Change failure rate", Band: b.ChangeFailureRate, HasBand: true,
			About: "Production deploys that failed, were rolled back or caused an incident, of all attempts. Bands: elite ≤ 5%, high ≤ 10%, medium ≤ 15%, low above.",
			Figures: []kpiFigure{{Chart: buildChart(cfr), Caption: "Line: change failures of the attempts that ended in each " + string(by) + " (a gap: no attempts); shaded: the bands.",
				Table: table("Change failure rate", []string{"Rate", "Failures", "Attempts", "Failed", "Rolled back", "Incident"}, func(s kpi.Summary) []string {
					return []string{fmtOpt(s.ChangeFailureRate, fmtPct), fmtCount(s.ChangeFailures), fmtCount(s.Attempts), fmtCount(s.FailedDeploys), fmtCount(s.RolledBack), fmtCount(s.IncidentCaused)}
				})}}},
		{ID: "recovery", Title: "Failed deployment recovery time", Band: b.RecoveryTime, HasBand: true,
			About: "From a change failure to service restored. The band grades the median: elite < 1 hour, high < 1 day, medium < 7 days, low ≥ 7 days.",
			Figures: []kpiFigure{{Chart: buildChart(rec), Caption: "Lines: median and p90 recovery time of the failures restored, by the " + string(by) + " their deploy ended; shaded: the bands of the median.",
				Table: table("Recovery time", []string{"Median", "p90", "Restored", "Not yet"}, func(s kpi.Summary) []string {
					return []string{fmtOpt(s.Recovery.Median, fmtSeconds), fmtOpt(s.Recovery.P90, fmtSeconds), fmtCount(s.Recovery.Count), fmtCount(s.Unrecovered)}
				})}}},
		{ID: "rework", Title: "Rework rate",
			About: "Deploys that fixed a change failure of the 24 hours before (DORA 2024), of all attempts.",
			Figures: []kpiFigure{{Chart: buildChart(rework), Caption: "Line: rework deploys of the attempts in each " + string(by) + " (a gap: no attempts).",
				Table: table("Rework rate", []string{"Rate", "Rework deploys", "Attempts"}, func(s kpi.Summary) []string {
					return []string{fmtOpt(s.ReworkRate, fmtPct), fmtCount(s.Rework), fmtCount(s.Attempts)}
				})}}},
		{ID: "steps", Title: "Steps to deploy",
			About: "Manual steps (running by hand, approving, rejecting, retrying, canceling) per production attempt, and the time attempts waited for people. Automation shows as these going down.",
			Figures: []kpiFigure{
				{Chart: buildChart(steps), Caption: "Line: manual steps per production attempt in each " + string(by) + ".",
					Table: table("Manual steps", []string{"Per deploy", "Manual steps", "Attempts"}, func(s kpi.Summary) []string {
						return []string{fmtOpt(s.StepsPerDeploy, fmtSig3), fmtCount(s.ManualSteps), fmtCount(s.Attempts)}
					})},
				{Chart: buildChart(wait), Caption: "Line: time waited for people per production attempt in each " + string(by) + ".",
					Table: table("Waiting for people", []string{"Per deploy", "In all"}, func(s kpi.Summary) []string {
						return []string{fmtOpt(ratio(s.HumanWait, float64(s.Attempts)), fmtSeconds), fmtSeconds(s.HumanWait)}
					})}}},
		{ID: "through", Title: "Through gennaker",
			About: "Production deploys of all production changes: deploys plus out-of-band changes made around gennaker.",
			Figures: []kpiFigure{{Chart: buildChart(through), Caption: "Line: the share of production changes that went through gennaker in each " + string(by) + " (a gap: no changes).",
				Table: table("Through gennaker", []string{"Share", "Deploys", "Out-of-band"}, func(s kpi.Summary) []string {
					return []string{fmtOpt(s.ThroughGennaker, fmtPct), fmtCount(s.Deploys), fmtCount(s.OutOfBand)}
				})}}},
	}
}

// bucketColumn heads a table's column of buckets.
func bucketColumn(b kpi.Bucket) string {
	switch b {
	case kpi.BucketWeek:
		return "Week of"
	case kpi.BucketMonth:
		return "Month"
	}
	return "Day"
}

// bucketRowName names a bucket in a table's row, under bucketColumn.
func bucketRowName(b kpi.Bucket, t time.Time) string {
	if b == kpi.BucketMonth {
		return t.Format("Jan 2006")
	}
	return t.Format(time.DateOnly)
}
