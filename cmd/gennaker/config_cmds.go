package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/model"
)

// loadConfig reads files and directories as one config set, so objects in
// one may refer to objects in another.
func loadConfig(paths []string, existing model.Config) (model.Config, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return model.Config{}, fmt.Errorf("reading config: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		found, err := config.FindFiles(p)
		if err != nil {
			return model.Config{}, err
		}
		files = append(files, found...)
	}
	if len(files) == 0 {
		return model.Config{}, fmt.Errorf("no .yaml or .yml files in %s: point at the directory or files that hold the config", strings.Join(paths, ", "))
	}
	cfg, err := config.LoadFiles(files, config.LoadOptions{Existing: existing})
	if err == nil && len(cfg.Applications)+len(cfg.Environments)+len(cfg.Pipelines)+len(cfg.AnalysisTemplates)+
		len(cfg.Teams)+len(cfg.Grants)+len(cfg.Notifications)+len(cfg.SLOs) == 0 {
		return cfg, fmt.Errorf("%s: no config documents (only empty ones, or OpenSLO documents without an SLO): write documents with apiVersion, kind, metadata and spec", strings.Join(files, ", "))
	}
	return cfg, err
}

func newApplyCmd(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f DIR|FILE...",
		Short: "Store applications, environments and pipelines from YAML",
		Long:  "Validate YAML config (file:line:column errors) and store it on the server. Objects not named in the files are left alone.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("name the config with -f DIR or -f FILE")
			}
			c := g.client()
			existing, err := c.Config(cmd.Context())
			if err != nil {
				return err
			}
			cfg, err := loadConfig(files, existing)
			if err != nil {
				return err
			}
			res, err := c.Apply(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			// Stored either way: a cluster may get what it lacks later.
			defer func() {
				for _, p := range checkTargets(cmd.Context(), c, cfg, cmd.ErrOrStderr()) {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", p)
				}
			}()
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			for _, o := range res.Created {
				fmt.Fprintf(w, "%s created\n", o)
			}
			for _, o := range res.Updated {
				fmt.Fprintf(w, "%s configured\n", o)
			}
			for _, o := range res.Unchanged {
				fmt.Fprintf(w, "%s unchanged\n", o)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "config directory or file (repeatable)")
	return cmd
}

func newValidateCmd(g *globals) *cobra.Command {
	var againstServer bool
	cmd := &cobra.Command{
		Use:   "validate DIR|FILE...",
		Short: "Check YAML config without storing it",
		Long: "Check YAML config offline: syntax, fields, references. With --against-server, references may also name objects already stored on the server,\n" +
			"and the server checks that the environments' targets have what their settings need (traffic: gateway needs the Gateway API CRDs in the cluster).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var existing model.Config
			if againstServer {
				var err error
				if existing, err = g.client().Config(cmd.Context()); err != nil {
					return err
				}
			}
			cfg, err := loadConfig(args, existing)
			if err != nil {
				return err
			}
			if againstServer {
				if err := problemsError(checkTargets(cmd.Context(), g.client(), cfg, cmd.ErrOrStderr())); err != nil {
					return err
				}
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), cfg)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "valid: %d applications, %d environments, %d pipelines, %d analysis templates\n",
				len(cfg.Applications), len(cfg.Environments), len(cfg.Pipelines), len(cfg.AnalysisTemplates))
			return nil
		},
	}
	cmd.Flags().BoolVar(&againstServer, "against-server", false, "let references name objects stored on the server, and have it check the environments' targets")
	return cmd
}

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of gennaker's YAML config (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(config.Schema())
			return err
		},
	}
}
