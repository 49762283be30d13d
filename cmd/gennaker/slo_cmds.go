package main

import "github.com/spf13/cobra"

// newSLOCmd is the parent of the SLO commands (rules, and list and show
// where the server is asked).
func newSLOCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slo",
		Short: "Service level objectives: error budgets, burn rates, Prometheus rules",
	}
	cmd.AddCommand(newSLORulesCmd(g))
	return cmd
}
