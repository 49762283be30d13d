package main

import (
	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/provider/local"
)

// newFrontDoorCmd is the front-door process of one environment of the
// local target, which the server starts and adopts; people do not run it.
func newFrontDoorCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "frontdoor",
		Short:              "Serve one environment's front doors (started by the server)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			if code := local.FrontDoorMain(args); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
