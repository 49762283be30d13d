package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
)

// newIncidentsCmd lists, opens and resolves incidents (docs/kpis.md,
// "Incidents"): what the KPIs count against the deploy that was live.
func newIncidentsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List, open and resolve incidents (failures the KPIs attribute to deploys)",
		Long: "Incidents are periods when an application misbehaved in an environment. Alertmanager opens and\n" +
			"resolves them through its webhook (docs/kpis.md, \"Incident sources\"); these commands do it by hand.\n" +
			"Opening or resolving one needs the deploy permission on the application in the environment.",
	}
	cmd.AddCommand(newIncidentsListCmd(g), newIncidentOpenCmd(g), newIncidentResolveCmd(g))
	return cmd
}

func newIncidentsListCmd(g *globals) *cobra.Command {
	var app, env string
	var open bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Example: "  gennaker incidents list --open\n" +
			"  gennaker incidents list --app checkout --env production -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			for k, v := range map[string]string{"application": app, "environment": env} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if open {
				q.Set("open", "true")
			}
			incs, _, err := g.client().Incidents(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), incs)
			}
			return printIncidents(cmd.OutOrStdout(), incs)
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "only this application")
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().BoolVar(&open, "open", false, "only incidents not resolved yet")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many (newest; at most 500)")
	return cmd
}

func printIncidents(w io.Writer, incs []model.Incident) error {
	tw := table(w)
	fmt.Fprintln(tw, "ID\tAPP\tENV\tSTARTED\tRESOLVED\tSOURCE\tTITLE")
	for _, i := range incs {
		resolved := "open"
		if i.ResolvedAt != nil {
			resolved = i.ResolvedAt.Local().Format("01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, i.Application, i.Environment, i.StartedAt.Local().Format("01-02 15:04:05"),
			resolved, i.Source, oneLine(i.Title, 60))
	}
	return tw.Flush()
}

func newIncidentOpenCmd(g *globals) *cobra.Command {
	var req api.IncidentRequest
	cmd := &cobra.Command{
		Use:     "open --app APP --env ENV --title TITLE",
		Short:   "Open an incident (it counts against the deploy live when it started)",
		Example: "  gennaker incidents open --app checkout --env production --title \"checkout 5xx\" --started-at 2026-12-04T10:02:00Z",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.StartedAt != "" {
				if _, err := time.Parse(time.RFC3339, req.StartedAt); err != nil {
					return fmt.Errorf("--started-at %q: give an RFC 3339 time such as 2026-12-04T10:02:00Z", req.StartedAt)
				}
			}
			inc, err := g.client().OpenIncident(cmd.Context(), req)
			if err != nil {
				return err
			}
			return printIncident(cmd, g, inc, "opened")
		},
	}
	cmd.Flags().StringVar(&req.Application, "app", "", "the application that misbehaved (required)")
	cmd.Flags().StringVar(&req.Environment, "env", "", "the environment it misbehaved in (required)")
	cmd.Flags().StringVar(&req.Title, "title", "", "what is wrong, in a few words (required, at most 200 characters)")
	cmd.Flags().StringVar(&req.StartedAt, "started-at", "", "when it began, RFC 3339 (default now)")
	cmd.Flags().StringVar(&req.URL, "url", "", "where it is tracked (a pager's or a dashboard's link)")
	for _, f := range []string{"app", "env", "title"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newIncidentResolveCmd(g *globals) *cobra.Command {
	var req api.ResolveIncidentRequest
	cmd := &cobra.Command{
		Use:     "resolve ID",
		Short:   "Resolve an open incident (resolving a resolved one changes nothing)",
		Example: "  gennaker incidents resolve inc-5f0c2a9e1b7d3c48 --at 2026-12-04T10:40:00Z",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.ResolvedAt != "" {
				if _, err := time.Parse(time.RFC3339, req.ResolvedAt); err != nil {
					return fmt.Errorf("--at %q: give an RFC 3339 time such as 2026-12-04T10:40:00Z", req.ResolvedAt)
				}
			}
			inc, err := g.client().ResolveIncident(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return printIncident(cmd, g, inc, "resolved")
		},
	}
	cmd.Flags().StringVar(&req.ResolvedAt, "at", "", "when it ended, RFC 3339 (default now)")
	return cmd
}

func printIncident(cmd *cobra.Command, g *globals, inc *model.Incident, what string) error {
	if g.output == "json" {
		return printJSON(cmd.OutOrStdout(), inc)
	}
	at := inc.StartedAt
	if what == "resolved" && inc.ResolvedAt != nil {
		at = *inc.ResolvedAt
	}
	fmt.Fprintf(cmd.OutOrStdout(), "incident %s %s: %s in %s, %s at %s\n", inc.ID, what, inc.Application, inc.Environment,
		oneLine(inc.Title, 80), at.Local().Format(time.RFC3339))
	return nil
}
