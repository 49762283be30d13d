package kpigen

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
)

// Readings are the choices Expect makes where docs/kpis.md leaves room
// (see the exactness test's report of spec ambiguities).
type Readings struct {
	// EmptyRows keeps a row for every team and application in scope, even
	// with nothing in the period; otherwise only those with an attempt or
	// an out-of-band change in the period have one.
	EmptyRows bool
	// UsersByEnvironment counts, under an environment filter, only the
	// actions whose event names that environment; otherwise active users
	// ignore the environment filter.
	UsersByEnvironment bool
	// ListAllOutOfBand lists out-of-band changes of every environment in
	// Adoption; otherwise only production ones (those that count).
	ListAllOutOfBand bool
}

// Spec is the reading of docs/kpis.md the exactness test holds the
// reporter to.
var Spec = Readings{EmptyRows: true}

// Expect is the Report docs/kpis.md defines for q over h, computed from
// the ground truth (Facts), not from the event log.
func (h *History) Expect(q kpi.Query, rd Readings) *kpi.Report {
	facts := h.Facts()
	team := map[string]string{}
	var apps []string
	for _, a := range h.Final.Applications {
		if (q.Team == "" || a.Team == q.Team) && (q.Application == "" || a.Name == q.Application) {
			team[a.Name] = a.Team
			apps = append(apps, a.Name)
		}
	}
	sort.Strings(apps)
	inScope := func(app, env string) bool {
		_, ok := team[app]
		return ok && (q.Environment == "" || env == q.Environment)
	}
	var fs []*Fact
	for _, f := range facts {
		if inScope(f.Exec.Application, f.Environment) {
			fs = append(fs, f)
		}
	}
	var oob []OutOfBand
	for _, o := range h.OutOfBand {
		if (o.Application != "" && inScope(o.Application, o.Environment)) ||
			(o.Application == "" && q.Team == "" && q.Application == "" && (q.Environment == "" || o.Environment == q.Environment)) {
			oob = append(oob, o)
		}
	}
	r := &kpi.Report{Query: q}
	r.Summary = summarize(fs, oob, q.From, q.To)
	prevFrom := q.From.Add(-q.To.Sub(q.From))
	r.Previous = summarize(fs, oob, prevFrom, q.From)
	r.Bands = bands(r.Summary, activeApps(fs, q.From, q.To))
	for _, b := range q.Buckets() {
		from, to := maxTime(b, q.From), minTime(nextBucket(q.By, b), q.To)
		r.Points = append(r.Points, kpi.Point{Start: b, Summary: summarize(fs, oob, from, to)})
	}
	teams := map[string]bool{}
	for _, app := range apps {
		teams[team[app]] = true
		afs := filterFacts(fs, func(f *Fact) bool { return f.Exec.Application == app })
		aoob := filterOOB(oob, func(o OutOfBand) bool { return o.Application == app })
		s := summarize(afs, aoob, q.From, q.To)
		if !rd.EmptyRows && s.Attempts == 0 && s.OutOfBand == 0 {
			continue
		}
		r.Apps = append(r.Apps, kpi.Row{Name: app, Team: team[app], Summary: s, Bands: bands(s, activeApps(afs, q.From, q.To))})
	}
	var teamNames []string
	for t := range teams {
		teamNames = append(teamNames, t)
	}
	sort.Strings(teamNames)
	for _, t := range teamNames {
		tfs := filterFacts(fs, func(f *Fact) bool { return team[f.Exec.Application] == t })
		toob := filterOOB(oob, func(o OutOfBand) bool { return o.Application != "" && team[o.Application] == t })
		s := summarize(tfs, toob, q.From, q.To)
		if !rd.EmptyRows && s.Attempts == 0 && s.OutOfBand == 0 {
			continue
		}
		r.Teams = append(r.Teams, kpi.Row{Name: t, Summary: s, Bands: bands(s, activeApps(tfs, q.From, q.To))})
	}
	r.Adoption = h.adoption(q, rd, apps, team, fs, oob, inScope)
	return r
}

func filterFacts(fs []*Fact, keep func(*Fact) bool) []*Fact {
	var out []*Fact
	for _, f := range fs {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

func filterOOB(os []OutOfBand, keep func(OutOfBand) bool) []OutOfBand {
	var out []OutOfBand
	for _, o := range os {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func nextBucket(b kpi.Bucket, t time.Time) time.Time {
	switch b {
	case kpi.BucketWeek:
		return t.AddDate(0, 0, 7)
	case kpi.BucketMonth:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// activeApps counts the applications with an attempt that ended in [from, to).
func activeApps(fs []*Fact, from, to time.Time) int {
	seen := map[string]bool{}
	for _, f := range fs {
		if in(f.End, from, to) {
			seen[f.Exec.Application] = true
		}
	}
	return len(seen)
}

func summarize(fs []*Fact, oob []OutOfBand, from, to time.Time) kpi.Summary {
	s := kpi.Summary{Days: int(to.Sub(from) / (24 * time.Hour))}
	var lead, rec []float64
	var parts kpi.Parts
	days := map[time.Time]bool{}
	apps := map[string]bool{}
	for _, f := range fs {
		if !in(f.End, from, to) {
			continue
		}
		apps[f.Exec.Application] = true
		s.Attempts++
		s.ManualSteps += f.Steps
		s.HumanWait += f.HumanWait
		if f.Live {
			s.Deploys++
			days[kpi.Day(f.End)] = true
			if f.HasLead {
				lead = append(lead, f.Lead)
				parts.WaitingToStart += f.ToStart
				parts.WaitingForPeople += f.People
				parts.CanaryAnalysis += f.Canary
				parts.Running += f.Run
			} else {
				s.NoCommitTime++
			}
		}
		switch f.Cause {
		case "failed":
			s.FailedDeploys++
		case "rolled back":
			s.RolledBack++
		case "incident":
			s.IncidentCaused++
		}
		if f.Cause != "" {
			s.ChangeFailures++
			if f.Restored != nil {
				rec = append(rec, secs(f.Restored.Sub(f.FailedAt)))
			} else {
				s.Unrecovered++
			}
		}
		if f.Rework {
			s.Rework++
		}
	}
	for _, o := range oob {
		if o.Production && in(o.Time, from, to) {
			s.OutOfBand++
		}
	}
	s.DeployDays, s.Applications = len(days), len(apps)
	if s.Days > 0 {
		s.DeploysPerDay = float64(s.Deploys) / float64(s.Days)
	}
	if s.Attempts > 0 {
		s.ChangeFailureRate = ratio(s.ChangeFailures, s.Attempts)
		s.ReworkRate = ratio(s.Rework, s.Attempts)
		s.StepsPerDeploy = ratio(s.ManualSteps, s.Attempts)
	}
	if s.Deploys+s.OutOfBand > 0 {
		s.ThroughGennaker = ratio(s.Deploys, s.Deploys+s.OutOfBand)
	}
	s.LeadTime, s.Recovery = dist(lead), dist(rec)
	if n := float64(len(lead)); n > 0 {
		s.LeadTimeParts = kpi.Parts{WaitingToStart: parts.WaitingToStart / n, Running: parts.Running / n,
			WaitingForPeople: parts.WaitingForPeople / n, CanaryAnalysis: parts.CanaryAnalysis / n}
	}
	return s
}

func ratio(a, b int) *float64 {
	v := float64(a) / float64(b)
	return &v
}

// dist is the type-7 median, p90 and mean of xs.
func dist(xs []float64) kpi.Dist {
	d := kpi.Dist{Count: len(xs)}
	if len(xs) == 0 {
		return d
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	q := func(p float64) *float64 {
		h := float64(len(xs)-1) * p
		lo := math.Floor(h)
		v := xs[int(lo)]
		if int(lo)+1 < len(xs) {
			v += (h - lo) * (xs[int(lo)+1] - xs[int(lo)])
		}
		return &v
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	d.Median, d.P90, d.Mean = q(0.5), q(0.9), &mean
	return d
}

// bands grades s by docs/kpis.md's thresholds; active is the applications
// with an attempt in the period.
func bands(s kpi.Summary, active int) kpi.Bands {
	var b kpi.Bands
	if active > 0 && s.Days > 0 {
		perApp := float64(s.Deploys) / float64(s.Days) / float64(active)
		b.DeploymentFrequency = grade(perApp >= 1, perApp >= 1.0/7, perApp >= 1.0/30)
	}
	day := 24 * 3600.0
	if m := s.LeadTime.Median; m != nil {
		b.LeadTime = grade(*m < day, *m < 7*day, *m < 30*day)
	}
	if r := s.ChangeFailureRate; r != nil {
		b.ChangeFailureRate = grade(*r <= 0.05, *r <= 0.10, *r <= 0.15)
	}
	if m := s.Recovery.Median; m != nil {
		b.RecoveryTime = grade(*m < 3600, *m < day, *m < 7*day)
	}
	return b
}

func grade(elite, high, medium bool) kpi.Band {
	switch {
	case elite:
		return kpi.BandElite
	case high:
		return kpi.BandHigh
	case medium:
		return kpi.BandMedium
	}
	return kpi.BandLow
}

func (h *History) adoption(q kpi.Query, rd Readings, apps []string, team map[string]string, fs []*Fact, oob []OutOfBand, inScope func(app, env string) bool) kpi.Adoption {
	var ad kpi.Adoption
	ad.Applications = len(apps)
	teams, onTeams := map[string]bool{}, map[string]bool{}
	for _, app := range apps {
		teams[team[app]] = true
	}
	ad.Teams = len(teams)
	onboarded, active := map[string]bool{}, map[string]bool{}
	for _, f := range fs {
		if !f.Live {
			continue
		}
		if f.End.Before(q.To) {
			onboarded[f.Exec.Application] = true
			onTeams[team[f.Exec.Application]] = true
		}
		if in(f.End, q.From, q.To) {
			active[f.Exec.Application] = true
		}
	}
	ad.OnboardedApps, ad.ActiveApplications, ad.OnboardedTeams = len(onboarded), len(active), len(onTeams)
	users := map[string]bool{}
	for _, a := range h.Actions {
		if in(a.At, q.From, q.To) && a.Actor != "" && !strings.HasPrefix(a.Actor, "trigger:") && !strings.HasPrefix(a.Actor, "system:") &&
			(inScope(a.Application, a.Environment) || (!rd.UsersByEnvironment && inScope(a.Application, q.Environment))) {
			users[a.Actor] = true
		}
	}
	ad.ActiveUsers = len(users)
	var list []OutOfBand
	for _, o := range oob {
		if in(o.Time, q.From, q.To) && (o.Production || rd.ListAllOutOfBand) {
			list = append(list, o)
		}
	}
	slices.SortStableFunc(list, func(a, b OutOfBand) int { return b.Time.Compare(a.Time) })
	for i, o := range list {
		if i == 50 {
			break
		}
		ad.OutOfBandChanges = append(ad.OutOfBandChanges, kpi.OutOfBandChange{Time: o.Time, Application: o.Application,
			Environment: o.Environment, Object: o.Object, Actor: o.Actor, Detail: o.Detail})
	}
	return ad
}
