package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo/prom"
)

// newSLORulesCmd prints Prometheus recording and alerting rules for the
// SLOs of a config directory, offline.
func newSLORulesCmd(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "rules -o prometheus [-f DIR|FILE...]",
		Short: "Print Prometheus recording and alerting rules for the config's SLOs",
		Long: "Read the config offline (default: the current directory) and print a Prometheus rule file: per SLO, the error ratio over each\n" +
			"burn-rate window and the SLO's window, each objective's burn rates and remaining budget, and the multi-window burn-rate alerts.\n" +
			"SLOs Prometheus cannot measure (front-door SLIs, Timeslices budgeting) are named on stderr and left out. -o json prints the same rules as JSON.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				files = []string{"."}
			}
			format := g.output
			if format == "table" || format == "yaml" {
				format = "prometheus"
			}
			if format != "prometheus" && format != "json" {
				return fmt.Errorf("output %q: slo rules prints -o prometheus (a rule file) or -o json", g.output)
			}
			cfg, err := loadConfig(files, model.Config{})
			if err != nil {
				return err
			}
			rules, notes := prom.Rules(model.ConfigSLOs(cfg.Applications, cfg.SLOs))
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %v\n", n)
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), rules)
			}
			b, err := rules.YAML()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "config directory or file (repeatable; default .)")
	return cmd
}
