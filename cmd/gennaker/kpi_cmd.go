package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/kpi"
)

func newKPICmd(g *globals) *cobra.Command {
	var team, app, env, since, from, to, by string
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "Show the delivery KPIs: DORA's keys with their bands and trends, steps to deploy, adoption",
		Long: `Show the delivery KPIs of production environments (docs/kpis.md): deployment
frequency, lead time for changes and where it goes, change failure rate,
recovery time, rework, steps to deploy and adoption, each DORA key with its
band and its trend against the period of the same length just before.

Output: a table (default), the report as JSON (-o json), or CSV (-o csv; the
columns are in docs/kpis.md, "CSV").`,
		Example: `  gennaker kpi                              # last 90 days, every team, by week
  gennaker kpi --team payments --since 30d --by day
  gennaker kpi --from 2026-10-01 --to 2026-11-01 --by month
  gennaker kpi --app checkout -o csv > checkout.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkKPIOutput(g.output); err != nil {
				return err
			}
			v := kpiValues(team, app, env, since, from, to, by)
			// The server checks them too; checking here says what is wrong
			// before a round trip, with the same words.
			if _, err := kpi.ParseQuery(v, time.Now()); err != nil {
				return err
			}
			r, err := g.client().KPI(cmd.Context(), v)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch g.output {
			case "json":
				return printJSON(out, r)
			case "csv":
				return kpi.WriteCSV(out, r)
			}
			printKPIReport(out, r)
			return nil
		},
	}
	cmd.Flags().StringVar(&team, "team", "", "only this team's applications")
	cmd.Flags().StringVar(&app, "app", "", "only this application")
	cmd.Flags().StringVar(&env, "env", "", "only this (production) environment")
	cmd.Flags().StringVar(&since, "since", "", "the period ending today: 90d, 12w or 36h (default 90d)")
	cmd.Flags().StringVar(&from, "from", "", "the period's first day, YYYY-MM-DD (instead of --since)")
	cmd.Flags().StringVar(&to, "to", "", "the day after the period's last, YYYY-MM-DD (default: tomorrow, so today counts)")
	cmd.Flags().StringVar(&by, "by", "week", "the series' buckets: day, week or month")
	return cmd
}

// checkKPIOutput accepts the outputs gennaker kpi writes.
func checkKPIOutput(o string) error {
	switch o {
	case "table", "json", "csv":
		return nil
	}
	return fmt.Errorf("-o %s: gennaker kpi writes table, json or csv", o)
}

// kpiValues writes the flags as the URL parameters of kpi.ParseQuery.
func kpiValues(team, app, env, since, from, to, by string) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{
		"team": team, "application": app, "environment": env, "since": since, "from": from, "to": to, "by": by,
	} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}
