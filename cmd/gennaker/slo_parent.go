package main

import "github.com/spf13/cobra"

// newSLOParentCmd is `gennaker slo`, the parent of the SLO commands. The
// view commands (list, show, sla) are added by addSLOViewCommands; other
// files add theirs (rules).
func newSLOParentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slo",
		Short: "SLOs and error budgets: list, show, SLA reports (docs/slos.md)",
		Args:  cobra.NoArgs,
	}
	addSLOViewCommands(cmd, g)
	return cmd
}
