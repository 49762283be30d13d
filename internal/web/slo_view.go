package web

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
	"github.com/gennaker/gennaker/internal/store"
)

// sloBadge is an SLO's current state in a line: on the front page, the
// application page and the SLO list.
type sloBadge struct {
	Name, Application, Environment string
	// Target, Attainment and Budget are the first objective's, written.
	Target, Attainment, Budget string
	// Class is ok, warn (under a quarter of the budget left, or an alert
	// pending), bad (spent, or an alert firing) or unknown (not evaluated).
	Class string
	// State says the class in words (colour is never alone).
	State     string
	Firing    []string
	Evaluated time.Time
	Error     string
	Spark     *sparkline
}

// sloBadgeOf sums up an SLO and its latest status.
func sloBadgeOf(s report.Summary) sloBadge {
	b := sloBadge{Name: s.SLO.Name, Application: s.SLO.Application, Environment: s.SLO.Environment, Class: "unknown", State: "not evaluated yet",
		Target: "–", Attainment: "–", Budget: "–"}
	if len(s.SLO.Objectives) > 0 {
		b.Target = fmtPercentFrac(s.SLO.Objectives[0].Target)
	}
	st := s.Status
	if st == nil {
		return b
	}
	b.Evaluated, b.Error = st.EvaluatedAt, st.Error
	if len(st.Objectives) == 0 {
		if st.Error != "" {
			b.State = "not evaluated: " + st.Error
		}
		return b
	}
	o := st.Objectives[0]
	b.Attainment, b.Budget = fmtPercentFrac(o.Attainment), fmtPercentFrac(o.BudgetRemaining)
	pending := false
	for _, a := range st.Alerts {
		if a.Firing {
			b.Firing = append(b.Firing, a.Name)
		}
		pending = pending || a.Pending
	}
	switch {
	case o.BudgetRemaining <= 0 || len(b.Firing) > 0:
		b.Class, b.State = "bad", "budget spent"
		if o.BudgetRemaining > 0 {
			b.State = "alert firing"
		}
	case o.BudgetRemaining < 0.25 || pending:
		b.Class, b.State = "warn", "budget low"
		if o.BudgetRemaining >= 0.25 {
			b.State = "alert pending"
		}
	default:
		b.Class, b.State = "ok", "within budget"
	}
	if st.Error != "" {
		b.State += " (last evaluation failed)"
	}
	return b
}

// fmtPercentFrac writes a fraction as a percent with up to four
// significant digits: 0.9995 is 99.95%.
func fmtPercentFrac(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "–"
	}
	return analysis.FormatSig(f*100, 4) + "%"
}

// windowText says an SLO's window in words: "rolling 28 days",
// "calendar 1 month (Europe/Berlin)".
func windowText(w model.SLOWindow) string {
	units := map[string]string{"m": "minute", "h": "hour", "d": "day", "w": "week", "M": "month", "Q": "quarter", "Y": "year"}
	u := units[w.Unit]
	if u == "" {
		u = w.Unit
	}
	if w.Count != 1 {
		u += "s"
	}
	kind := "calendar"
	if w.Rolling {
		kind = "rolling"
	}
	s := fmt.Sprintf("%s %d %s", kind, w.Count, u)
	if w.TimeZone != "" && w.TimeZone != "UTC" {
		s += " (" + w.TimeZone + ")"
	}
	return s
}

// sloPage is the SLO page.
type sloPage struct {
	SLO        model.SLO
	Badge      sloBadge
	Window     string
	WindowFrom time.Time
	WindowTo   time.Time
	Objectives []objectiveRow
	Alerts     []alertRow
	Budget     chart
	Burn       chart
	Panels     []chart
	Deploys    []deployRow
	SLAHref    string
	SLACSV     string
	APIHref    string
}

type objectiveRow struct {
	Name, Target, Good, Total, Attainment, Budget, Threshold string
}

type alertRow struct {
	Name, Severity, Factor, Long, Short, LongRate, ShortRate, State, Class string
}

type deployRow struct {
	Time                        time.Time
	Environment, What, Outcome  string
	ExecutionID                 string
	Burned, Rate, Method, Class string
}

// buildSLOPage is the SLO page's view of a detail: a pure function.
func buildSLOPage(d *report.Detail, now time.Time) sloPage {
	s := d.SLO
	v := sloPage{SLO: s, Badge: sloBadgeOf(report.Summary{SLO: s, Status: d.Status}), Window: windowText(s.Window),
		WindowFrom: d.WindowStart, WindowTo: d.WindowEnd,
		APIHref: "/api/v1/slos/" + s.Name}
	month, err := slo.MonthOf(now, s.Window.TimeZone)
	if err != nil {
		month = now.UTC().Format(slo.MonthLayout)
	}
	v.SLAHref = "/sla?month=" + month + "#sla-" + s.Name
	v.SLACSV = "/api/v1/slos/" + s.Name + "/sla?month=" + month + "&format=csv"
	byName := map[string]model.ObjectiveStatus{}
	if d.Status != nil {
		for _, o := range d.Status.Objectives {
			byName[o.Name] = o
		}
	}
	for _, o := range s.Objectives {
		row := objectiveRow{Name: o.Name, Target: fmtPercentFrac(o.Target), Good: "–", Total: "–", Attainment: "–", Budget: "–"}
		if o.Op != "" {
			row.Threshold = fmt.Sprintf("%s %s", o.Op, analysis.FormatSig(o.Value, 4))
		}
		if st, ok := byName[o.Name]; ok {
			row.Good, row.Total = fmtNumber(st.Good), fmtNumber(st.Total)
			row.Attainment, row.Budget = fmtPercentFrac(st.Attainment), fmtPercentFrac(st.BudgetRemaining)
		}
		v.Objectives = append(v.Objectives, row)
	}
	states := map[string]model.AlertState{}
	if d.Status != nil {
		for _, a := range d.Status.Alerts {
			states[a.Name] = a
		}
	}
	alerts := s.Alerts
	if len(alerts) == 0 {
		alerts = model.DefaultBurnRateAlerts()
	}
	var rules []hRule
	for _, a := range alerts {
		row := alertRow{Name: a.Name, Severity: a.Severity, Factor: fmtBurn(a.Factor), Long: shortDur(a.Long.D()), Short: shortDur(a.Short.D()),
			LongRate: "–", ShortRate: "–", State: "not evaluated", Class: "unknown"}
		st, ok := states[a.Name]
		if ok {
			row.LongRate, row.ShortRate = fmtBurn(st.LongRate), fmtBurn(st.ShortRate)
			switch {
			case st.Firing:
				row.State, row.Class = "firing since "+st.Since.UTC().Format("2006-01-02 15:04")+" UTC", "bad"
			case st.Pending:
				row.State, row.Class = "pending since "+st.Since.UTC().Format("2006-01-02 15:04")+" UTC", "warn"
			default:
				row.State, row.Class = "quiet", "ok"
			}
		}
		v.Alerts = append(v.Alerts, row)
		rules = append(rules, hRule{V: a.Factor, Label: a.Name + " " + fmtBurn(a.Factor), Class: "factor-line " + a.Severity})
		v.Panels = append(v.Panels, burnPanel(s.Name, a, st, ok))
	}
	var markers []timeMarker
	for _, dp := range d.Deploys {
		markers = append(markers, deployMarker(dp))
		v.Deploys = append(v.Deploys, deployRowOf(dp))
	}
	budget := timeSeries{Name: "error budget left", Class: "budget"}
	burn := timeSeries{Name: "burn rate", Class: "burn"}
	shortest := ""
	if len(alerts) > 0 {
		sh := alerts[0].Short
		for _, a := range alerts {
			if a.Short < sh {
				sh = a.Short
			}
		}
		shortest = " over " + shortDur(sh.D())
	}
	for _, p := range d.Points {
		budget.T, budget.V = append(budget.T, p.At), append(budget.V, p.BudgetRemaining)
		burn.T, burn.V = append(burn.T, p.At), append(burn.V, p.BurnRate)
	}
	v.Budget = buildTimeChart(timeChartSpec{ID: "slo-budget", Title: "Error budget left over the window (" + v.Window + ")",
		YTitle: "budget left", Unit: percentUnit, From: d.WindowStart, To: d.WindowEnd, Series: []timeSeries{budget},
		Markers: markers, Rules: []hRule{{V: 0, Label: "budget spent", Class: "limit-line"}}, YMax: 1})
	v.Burn = buildTimeChart(timeChartSpec{ID: "slo-burn", Title: "Burn rate" + shortest + ", with the alerts' factors",
		YTitle: "burn rate", Unit: rateUnit, From: d.WindowStart, To: d.WindowEnd, Series: []timeSeries{burn},
		Markers: markers, Rules: rules, Value: fmtBurn})
	return v
}

// burnPanel is one alert's panel: its long and short windows' burn rates
// as bars against its factor.
func burnPanel(sloName string, a model.BurnRateAlert, st model.AlertState, ok bool) chart {
	const w, h, padL, padR, padT, padB = 280, 200, 52, 12, 30, 42
	long, short := shortDur(a.Long.D()), shortDur(a.Short.D())
	c := chart{ID: "panel-" + a.Name, W: w, H: h, Title: fmt.Sprintf("%s: burn rate over %s and %s against %s", a.Name, long, short, fmtBurn(a.Factor))}
	hi := a.Factor * 1.25
	if ok {
		hi = math.Max(hi, math.Max(st.LongRate, st.ShortRate))
	}
	ticks := niceTicks(hi, 4, false)
	top := ticks[len(ticks)-1]
	y := linScale{D0: 0, D1: top, R0: h - padB, R1: padT}
	x0, x1 := float64(padL), float64(w-padR)
	for _, t := range ticks {
		c.Grid = append(c.Grid, line{X1: x0, Y1: y.at(t), X2: x1, Y2: y.at(t), Class: "grid"})
		c.Labels = append(c.Labels, label{X: x0 - 6, Y: y.at(t) + 4, Text: rateUnit.tick(t), Anchor: "end"})
	}
	c.Grid = append(c.Grid, line{X1: x0, Y1: y.at(0), X2: x1, Y2: y.at(0), Class: "axis"}, line{X1: x0, Y1: y.at(0), X2: x0, Y2: padT - 4, Class: "axis"})
	c.Labels = append(c.Labels, label{X: 4, Y: 14, Text: "burn rate (× sustainable)", Class: "axis-title"},
		label{X: (x0 + x1) / 2, Y: h - 6, Text: "alert window", Anchor: "middle", Class: "axis-title"})
	slot := (x1 - x0) / 2
	for i, win := range []struct {
		name string
		rate float64
	}{{"long " + long, st.LongRate}, {"short " + short, st.ShortRate}} {
		cx := x0 + slot*(float64(i)+0.5)
		c.Labels = append(c.Labels, label{X: cx, Y: h - padB + 16, Text: win.name, Anchor: "middle"})
		if !ok {
			continue
		}
		cls := "bar burn"
		if win.rate >= a.Factor {
			cls = "bar over"
		}
		top := y.at(win.rate)
		c.Bars = append(c.Bars, bar{X: cx - slot*0.3, Y: top, W: slot * 0.6, H: y.at(0) - top, Class: cls, Title: win.name + ": " + fmtBurn(win.rate)})
	}
	fy := y.at(a.Factor)
	c.Grid = append(c.Grid, line{X1: x0, Y1: fy, X2: x1, Y2: fy, Class: "factor-line " + a.Severity})
	c.Labels = append(c.Labels, label{X: x1 - 2, Y: fy - 4, Text: "factor " + fmtBurn(a.Factor), Anchor: "end", Class: "rule-label"})
	if ok {
		c.Desc = fmt.Sprintf("%s of SLO %s: over %s the budget burns at %s, over %s at %s; it fires at %s over both.", a.Name, sloName, long, fmtBurn(st.LongRate), short, fmtBurn(st.ShortRate), fmtBurn(a.Factor))
	} else {
		c.Desc = fmt.Sprintf("%s of SLO %s: not evaluated yet; it fires at %s over both %s and %s.", a.Name, sloName, fmtBurn(a.Factor), long, short)
		c.Labels = append(c.Labels, label{X: (x0 + x1) / 2, Y: (padT + h - padB) / 2, Text: "not evaluated yet", Anchor: "middle", Class: "note"})
	}
	c.round()
	return c
}

func deployMarker(d slo.DeployBurn) timeMarker {
	m := timeMarker{T: d.Time, Label: d.Version, Class: "deploy"}
	what := "deploy of " + d.Version
	if d.Kind == model.EventRolledBack {
		m.Class, m.Label = "rollback", "↩"+d.Version
		what = "rollback to " + d.Version
	}
	m.Title = fmt.Sprintf("%s UTC: %s in %s; burned %s of the budget in the hour after (or until the next deploy)", d.Time.UTC().Format("2006-01-02 15:04"), what, d.Environment, fmtPercentFrac(d.Burned))
	return m
}

func deployRowOf(d slo.DeployBurn) deployRow {
	r := deployRow{Time: d.Time, Environment: d.Environment, Outcome: d.Outcome, ExecutionID: d.ExecutionID,
		Burned: fmtPercentFrac(d.Burned), Rate: fmtBurn(d.BurnRate), Method: d.Method, Class: "ok"}
	r.What = "deploy " + d.Version
	if d.Kind == model.EventRolledBack {
		r.What = "rollback to " + d.Version
		if d.FromVersion != "" {
			r.What += " from " + d.FromVersion
		}
	}
	if r.Outcome == "" && d.Kind != model.EventRolledBack {
		r.Outcome = "running"
	}
	if d.Partial {
		r.Burned += " so far"
	}
	switch {
	case d.Burned >= 0.05:
		r.Class = "bad"
	case d.Burned >= 0.01:
		r.Class = "warn"
	}
	return r
}

// slaPage is the printable SLA report of a month.
type slaPage struct {
	Month, Prev, Next string
	Rows              []slaRow
	CSV               string
	Met, Missed, None int
}

type slaRow struct {
	SLO, Application, Environment, TimeZone string
	Objective, Target, Attainment, Spent    string
	Good, Total                             string
	Met                                     string
	Class                                   string
	First                                   bool
	Span                                    int
	Partial                                 bool
	Error                                   string
}

// buildSLAPage lays out a month's reports: a row per SLO and objective.
func buildSLAPage(month string, reps []slo.SLAReport, now time.Time) slaPage {
	p := slaPage{Month: month, CSV: "/api/v1/sla?month=" + month + "&format=csv"}
	if m, err := time.Parse(slo.MonthLayout, month); err == nil {
		p.Prev = m.AddDate(0, -1, 0).Format(slo.MonthLayout)
		if next := m.AddDate(0, 1, 0); !next.After(now) {
			p.Next = next.Format(slo.MonthLayout)
		}
	}
	for _, r := range reps {
		base := slaRow{SLO: r.SLO, Application: r.Application, Environment: r.Environment, TimeZone: r.TimeZone, Partial: r.Partial, First: true}
		switch {
		case r.Error != "":
			p.None++
		case r.NoData:
			p.None++
		case r.Met:
			p.Met++
		default:
			p.Missed++
		}
		if r.Error != "" || len(r.Objectives) == 0 {
			base.Error, base.Span, base.Class, base.Met = r.Error, 1, "unknown", "not counted"
			if base.Error == "" {
				base.Error = "no objectives"
			}
			p.Rows = append(p.Rows, base)
			continue
		}
		for i, o := range r.Objectives {
			row := base
			row.First, row.Span = i == 0, len(r.Objectives)
			row.Objective, row.Target, row.Attainment, row.Spent = o.Name, fmtPercentFrac(o.Target), fmtPercentFrac(o.Attainment), fmtPercentFrac(o.BudgetSpent)
			row.Good, row.Total = fmtNumber(o.Good), fmtNumber(o.Total)
			switch {
			case o.Total <= 0:
				row.Met, row.Class = "no data", "unknown"
			case o.Met:
				row.Met, row.Class = "met", "ok"
			default:
				row.Met, row.Class = "missed", "bad"
			}
			p.Rows = append(p.Rows, row)
		}
	}
	return p
}

// sparkOf is a sparkline of the budget left in points.
func sparkOf(pts []store.SLOPoint) *sparkline {
	if len(pts) == 0 {
		return nil
	}
	vals := make([]float64, len(pts))
	for i, p := range pts {
		vals[i] = p.BudgetRemaining
	}
	sp := buildSparkline(vals, fmt.Sprintf("error budget left over the window, from %s to %s", fmtPercentFrac(vals[0]), fmtPercentFrac(vals[len(vals)-1])))
	return &sp
}

// joinNames lists names for a line of text.
func joinNames(names []string) string { return strings.Join(names, ", ") }
