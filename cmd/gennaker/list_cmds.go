package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

func newApplicationsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "applications",
		Aliases: []string{"apps"},
		Short:   "List applications",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			apps, err := g.client().Applications(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), apps)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tTEAM\tINSTANCES\tRUN\tIMAGE")
			for _, a := range apps {
				run := strings.TrimSpace(a.Run.Command + " " + strings.Join(a.Run.Args, " "))
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", a.Name, a.Team, a.Instances, oneLine(run, 50), a.Image)
			}
			return tw.Flush()
		},
	}
}

func newEnvironmentsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "environments",
		Aliases: []string{"envs"},
		Short:   "List environments",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			envs, err := g.client().Environments(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), envs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tTARGET\tPRODUCTION\tFRONT DOORS")
			for _, e := range envs {
				var doors []string
				for app, addr := range e.FrontDoors {
					doors = append(doors, app+"="+addr)
				}
				sort.Strings(doors)
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", e.Name, e.Target.Kind, e.Production, strings.Join(doors, " "))
			}
			return tw.Flush()
		},
	}
}
