package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/slo/report"
)

// addSLOViewCommands adds `slo list`, `slo show NAME` and `slo sla` to
// parent: what people read of SLOs, from the server's API.
func addSLOViewCommands(parent *cobra.Command, g *globals) {
	var app string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the SLOs you may read: budget left, attainment, alerts firing",
		Example: `  gennaker slo list
  gennaker slo list --app checkout -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(g.output, "gennaker slo list", "table", "json"); err != nil {
				return err
			}
			l, err := g.client().SLOs(cmd.Context(), app)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), l)
			}
			printSLOList(cmd.OutOrStdout(), l)
			return nil
		},
	}
	list.Flags().StringVar(&app, "app", "", "only this application's SLOs")

	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an SLO: objectives, budget, burn-rate alerts, and the budget each deploy burned",
		Example: `  gennaker slo show checkout-availability
  gennaker slo show checkout-availability -o json   # with the window's points`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(g.output, "gennaker slo show", "table", "json"); err != nil {
				return err
			}
			d, err := g.client().SLO(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			printSLODetail(cmd.OutOrStdout(), d)
			return nil
		},
	}

	var month, one string
	sla := &cobra.Command{
		Use:   "sla",
		Short: "SLA report of a month: each SLO's attainment against its target, met or missed",
		Long: `The month's attainment of each SLO's objectives against their targets, counted
over the calendar month in the SLO window's time zone; a month not over yet is
marked partial. Output: a table (default), JSON (-o json) or CSV (-o csv, the
columns of GET /api/v1/sla?format=csv).`,
		Example: `  gennaker slo sla                       # this month
  gennaker slo sla --month 2026-10 -o csv > sla-2026-10.csv
  gennaker slo sla --slo checkout-availability --month 2026-10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(g.output, "gennaker slo sla", "table", "json", "csv"); err != nil {
				return err
			}
			if month != "" {
				if _, err := report.ParseMonth(month, time.Now()); err != nil {
					return fmt.Errorf("--month: %w", err)
				}
			}
			var l *api.SLAList
			if one != "" {
				r, err := g.client().SLOSLA(cmd.Context(), one, month)
				if err != nil {
					return err
				}
				l = &api.SLAList{Month: r.Month, Reports: []slo.SLAReport{*r}}
			} else {
				var err error
				if l, err = g.client().SLA(cmd.Context(), month); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			switch g.output {
			case "json":
				return printJSON(out, l)
			case "csv":
				return report.WriteSLACSV(out, l.Reports)
			}
			printSLA(out, l)
			return nil
		},
	}
	sla.Flags().StringVar(&month, "month", "", "the month, YYYY-MM (default: this month)")
	sla.Flags().StringVar(&one, "slo", "", "only this SLO")
	parent.AddCommand(list, show, sla)
}

// checkOutput refuses an -o the command does not write.
func checkOutput(o, cmd string, allowed ...string) error {
	for _, a := range allowed {
		if o == a {
			return nil
		}
	}
	return fmt.Errorf("-o %s: %s writes %s", o, cmd, strings.Join(allowed, ", "))
}

// pct writes a fraction as a percent with up to four significant digits.
func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return analysis.FormatSig(f*100, 4) + "%"
}

func burn(f float64) string { return analysis.FormatSig(f, 3) + "x" }

// sloState says an SLO's standing in words, from its first objective.
func sloState(st *model.SLOStatus) (attain, budget, state, firing string) {
	if st == nil || len(st.Objectives) == 0 {
		state = "not evaluated yet"
		if st != nil && st.Error != "" {
			state = "not evaluated: " + st.Error
		}
		return "-", "-", state, "-"
	}
	o := st.Objectives[0]
	var names []string
	for _, a := range st.Alerts {
		if a.Firing {
			names = append(names, a.Name)
		}
	}
	state = "within budget"
	switch {
	case o.BudgetRemaining <= 0:
		state = "budget spent"
	case len(names) > 0:
		state = "alert firing"
	case o.BudgetRemaining < 0.25:
		state = "budget low"
	}
	if st.Error != "" {
		state += " (last evaluation failed)"
	}
	firing = strings.Join(names, ",")
	if firing == "" {
		firing = "-"
	}
	return pct(o.Attainment), pct(o.BudgetRemaining), state, firing
}

func printSLOList(w io.Writer, l *api.SLOList) {
	if len(l.SLOs) == 0 {
		fmt.Fprintln(w, "No SLOs you may read. Give an application `slo: {availability: 99.9}`, or apply OpenSLO documents (docs/slos.md).")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "NAME\tAPPLICATION\tENVIRONMENT\tTARGET\tATTAINMENT\tBUDGET LEFT\tSTATE\tFIRING\tEVALUATED")
	for _, s := range l.SLOs {
		target := "-"
		if len(s.SLO.Objectives) > 0 {
			target = pct(s.SLO.Objectives[0].Target)
		}
		env := s.SLO.Environment
		if env == "" {
			env = "production"
		}
		attain, budget, state, firing := sloState(s.Status)
		when := "-"
		if s.Status != nil {
			when = ago(s.Status.EvaluatedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.SLO.Name, s.SLO.Application, env, target, attain, budget, state, firing, when)
	}
	tw.Flush()
}

func printSLODetail(w io.Writer, d *report.Detail) {
	s := d.SLO
	fmt.Fprintf(w, "SLO %s", s.Name)
	if s.DisplayName != "" {
		fmt.Fprintf(w, " (%s)", s.DisplayName)
	}
	fmt.Fprintln(w)
	if s.Description != "" {
		fmt.Fprintf(w, "  %s\n", s.Description)
	}
	env := s.Environment
	if env == "" {
		env = "every production environment"
	}
	kind := "calendar"
	if s.Window.Rolling {
		kind = "rolling"
	}
	fmt.Fprintf(w, "Application:  %s in %s\n", s.Application, env)
	fmt.Fprintf(w, "Window:       %s %d%s, %s (%s to %s UTC)\n", kind, s.Window.Count, s.Window.Unit, s.Budgeting,
		d.WindowStart.UTC().Format("2006-01-02 15:04"), d.WindowEnd.UTC().Format("2006-01-02 15:04"))
	_, _, state, _ := sloState(d.Status)
	fmt.Fprintf(w, "State:        %s", state)
	if d.Status != nil {
		fmt.Fprintf(w, " (evaluated %s)", ago(d.Status.EvaluatedAt))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "OBJECTIVE\tTARGET\tGOOD\tTOTAL\tATTAINMENT\tBUDGET LEFT")
	byName := map[string]model.ObjectiveStatus{}
	if d.Status != nil {
		for _, o := range d.Status.Objectives {
			byName[o.Name] = o
		}
	}
	for _, o := range s.Objectives {
		name := o.Name
		if name == "" {
			name = "-"
		}
		if st, ok := byName[o.Name]; ok {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, pct(o.Target), analysis.FormatSig(st.Good, 6), analysis.FormatSig(st.Total, 6), pct(st.Attainment), pct(st.BudgetRemaining))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\n", name, pct(o.Target))
		}
	}
	tw.Flush()
	if d.Status != nil && len(d.Status.Alerts) > 0 {
		fmt.Fprintln(w)
		tw = table(w)
		fmt.Fprintln(tw, "ALERT\tSEVERITY\tLONG RATE\tSHORT RATE\tSTATE")
		for _, a := range d.Status.Alerts {
			st := "quiet"
			switch {
			case a.Firing:
				st = "firing since " + a.Since.UTC().Format("2006-01-02 15:04") + " UTC"
			case a.Pending:
				st = "pending since " + a.Since.UTC().Format("2006-01-02 15:04") + " UTC"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.Severity, burn(a.LongRate), burn(a.ShortRate), st)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	if len(d.Deploys) == 0 {
		fmt.Fprintf(w, "No deploys of %s in this window.\n", s.Application)
		return
	}
	fmt.Fprintln(w, "Budget burned in the hour after each deploy:")
	tw = table(w)
	fmt.Fprintln(tw, "TIME (UTC)\tENVIRONMENT\tWHAT\tOUTCOME\tBURNED\tRATE\tFROM")
	for _, dp := range d.Deploys {
		what := "deploy " + dp.Version
		if dp.Kind == model.EventRolledBack {
			what = "rollback to " + dp.Version
		}
		outcome := dp.Outcome
		if outcome == "" {
			outcome = "-"
		}
		burned := pct(dp.Burned)
		if dp.Partial {
			burned += " so far"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dp.Time.UTC().Format("2006-01-02 15:04"), dp.Environment, what, outcome, burned, burn(dp.BurnRate), dp.Method)
	}
	tw.Flush()
}

func printSLA(w io.Writer, l *api.SLAList) {
	fmt.Fprintf(w, "SLA report %s\n", l.Month)
	if len(l.Reports) == 0 {
		fmt.Fprintln(w, "No SLOs you may read.")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "SLO\tAPPLICATION\tOBJECTIVE\tTARGET\tATTAINMENT\tBUDGET SPENT\tRESULT")
	for _, r := range l.Reports {
		note := ""
		if r.Partial {
			note = " (month not over)"
		}
		if r.Error != "" || len(r.Objectives) == 0 {
			why := r.Error
			if why == "" {
				why = "no objectives"
			}
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\tnot counted: %s\n", r.SLO, r.Application, why)
			continue
		}
		for _, o := range r.Objectives {
			result := "missed"
			switch {
			case o.Total <= 0:
				result = "no data"
			case o.Met:
				result = "met"
			}
			name := o.Name
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", r.SLO, r.Application, name, pct(o.Target), pct(o.Attainment), pct(o.BudgetSpent), result, note)
		}
	}
	tw.Flush()
}
