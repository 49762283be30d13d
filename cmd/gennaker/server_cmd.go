package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/server"
)

func defaultDataDir() string {
	if d := os.Getenv("GENNAKER_DATA"); d != "" {
		return d
	}
	return ".gennaker"
}

func newServerCmd() *cobra.Command {
	opts := server.Options{}
	var debug bool
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the gennaker server (API, durable engine, local target)",
		Long: "Run the gennaker server. State lives in --data (default ./.gennaker or $GENNAKER_DATA).\n" +
			"Executions survive a crash: restart the server and they resume.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			return server.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data", defaultDataDir(), "data directory (env GENNAKER_DATA)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:7070", "API listen address (loopback by default)")
	cmd.Flags().IntVar(&opts.Workers, "workers", 100, "stage jobs run at once")
	cmd.Flags().BoolVar(&debug, "debug", false, "log debug messages")
	cmd.Flags().BoolVar(&opts.DestroyOnExit, "destroy-on-exit", false, "stop every local instance when the server stops (the demo uses this)")
	_ = cmd.Flags().MarkHidden("destroy-on-exit")
	return cmd
}
