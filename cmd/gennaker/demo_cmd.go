package main

import (
	"context"
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
			"At the end an interactive demo keeps the server up for you to look at the UI until Ctrl-C,\n" +
			"then cleans up; run from a script (or with --exit) it cleans up at once. --keep leaves the\n" +
			"server and service running. The exit status is 1 when the releases did not end as designed\n" +
			"(v1 deployed, v2 promoted, v3 rolled back).",
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
			if !exit && !opts.Keep && output != "json" && interactive() {
				opts.Linger = func(ctx context.Context, res *demo.Result) {
					open := res.UI
					if res.LoginURL != "" {
						open = res.LoginURL + " (a one-time login link)"
					}
					fmt.Fprintf(opts.Log, "\nthe server keeps running so you can look: open %s\nthe CLI works with it after: export GENNAKER_CONFIG=%s\n(press Ctrl-C to stop and clean up)\n", open, res.CLIConfig)
					<-ctx.Done()
				}
			}
			res, err := demo.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if output == "json" {
				if err := printJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			}
			if ok, why := res.AsDesigned(); !ok {
				return &exitError{code: 1, msg: "the demo did not go as designed: " + why}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&exit, "exit", false, "tear everything down when done, without waiting for Ctrl-C (for scripts)")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "leave the server and the sample service running")
	cmd.Flags().StringVar(&opts.DataDir, "data", "", "data directory (default: a temporary one)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:7070", "API address (a free port is used when it is taken)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "canary analysis interval (default 10s)")
	cmd.Flags().IntVar(&opts.Rate, "rate", 0, "demo traffic, requests per second (default 150)")
	return cmd
}

// interactive reports whether a person is at the terminal (stdin and stdout
// are terminals), so the demo may wait for Ctrl-C before it cleans up.
func interactive() bool {
	for _, f := range []*os.File{os.Stdin, os.Stdout} {
		st, err := f.Stat()
		if err != nil || st.Mode()&os.ModeCharDevice == 0 {
			return false
		}
	}
	return true
}
