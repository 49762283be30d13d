package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/sampleservice"
)

// newSampleServiceCmd runs the demo's sample HTTP service. It ships inside the
// binary so the demo needs no compiler. How faulty it is comes from its
// environment (SAMPLE_ERROR_RATE, SAMPLE_LATENCY), never from its version.
func newSampleServiceCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "sample-service",
		Short:  "Run the demo's sample HTTP service (PORT, VERSION, SAMPLE_ERROR_RATE, SAMPLE_LATENCY)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sampleservice.ConfigFromEnv()
			if err != nil {
				return err
			}
			return sampleservice.Run(cmd.Context(), cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		},
	}
}
