package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var opts demo.Options
	var exit bool
	var output string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See gennaker work: deploy a sample service and ship v1, v2 (promoted) and v3 (rolled back) through a canary",
		Long: "Start a server with embedded state, deploy a sample service behind the front door, send it real\n" +
			"traffic, and release three versions through a canary pipeline. v3 is configured to fail more\n" +
			"and answer slower; the canary analysis measures that and rolls it back.\n\n" +
			"By default the demo cleans up when it ends; --keep leaves the server and service running.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if exit && opts.Keep {
				return fmt.Errorf("--exit and --keep contradict each other: choose one")
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			opts.Exe = exe
			output, _ = cmd.Flags().GetString("output")
			opts.Log = cmd.OutOrStdout()
			if output == "json" {
				opts.Log = cmd.ErrOrStderr()
			}
			res, err := demo.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			if !opts.Keep {
				fmt.Fprintln(cmd.OutOrStdout(), "(run `gennaker demo --keep` to leave the server and service running)")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&exit, "exit", false, "tear everything down when done (the default; for scripts)")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "leave the server and the sample service running")
	cmd.Flags().StringVar(&opts.DataDir, "data", "", "data directory (default: a temporary one)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:7070", "API address (a free port is used when it is taken)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "canary analysis interval (default 10s)")
	cmd.Flags().IntVar(&opts.Rate, "rate", 0, "demo traffic, requests per second (default 150)")
	return cmd
}
