package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/client"
)

// The canary controls, named as Argo Rollouts users know them: promote
// (--full is what it always does here), abort, retry.
func newControlCmd(g *globals, action string) *cobra.Command {
	var req client.ControlRequest
	about := map[string]struct{ short, done string }{
		"promote": {"Promote a running canary at once: skip its remaining steps, give it all traffic and retire the old version as the strategy says", "promote of"},
		"abort":   {"Abort a running canary: traffic returns to the stable version, what the canary started is removed, and the stage fails as aborted by you", "abort of"},
		"retry":   {"Run a failed or canceled execution again from a stage (the first failed one unless --stage names another)", "retry of"},
	}[action]
	cmd := &cobra.Command{
		Use:   action + " ID",
		Short: about.short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := g.client()
			// The version the command acts on makes a repeat harmless: the
			// server does nothing again for a request it has done.
			seen, err := c.Execution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			req.Version = seen.Version
			exec, err := c.Control(cmd.Context(), args[0], action, req)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), exec)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s execution %s sent (follow it with: gennaker execution %s --watch)\n", about.done, exec.ID, exec.ID)
			return nil
		},
	}
	help := "the canary stage (needed only when several run)"
	if action == "retry" {
		help = "the failed or canceled stage to run again from (default: the first failed one)"
	}
	cmd.Flags().StringVar(&req.Stage, "stage", "", help)
	cmd.Flags().StringVarP(&req.Comment, "comment", "m", "", "why (recorded with the event and in the audit log)")
	return cmd
}
