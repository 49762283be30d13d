package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/trigger"
)

// maxTestPayload is the most of a payload file `triggers test` sends (the
// server's limit).
const maxTestPayload = 256 << 10

func newTriggersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "triggers",
		Short: "List, pause, resume and dry-run the triggers that start pipelines by themselves",
		Long: "Triggers are the `triggers:` of pipelines: webhooks, registry tags, git commits, schedules\n" +
			"and the end of other pipelines. Each is named APPLICATION/PIPELINE/TRIGGER.",
	}
	cmd.AddCommand(newTriggersListCmd(g), newTriggersPauseCmd(g, true), newTriggersPauseCmd(g, false), newTriggersTestCmd(g))
	return cmd
}

func newTriggersListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the triggers you may read: type, paused, last start and last error, webhook URL",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := g.client().Triggers(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), list)
			}
			printTriggers(cmd.OutOrStdout(), list)
			return nil
		},
	}
}

func printTriggers(w io.Writer, list []trigger.Status) {
	tw := table(w)
	fmt.Fprintln(tw, "TRIGGER\tTYPE\tSTATE\tLAST STARTED\tLAST ERROR\tHOOK URL")
	for _, s := range list {
		last := "never"
		if s.LastFiredAt != nil {
			last = ago(*s.LastFiredAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Key, s.Type, triggerState(s), last, oneLine(s.LastError, 60), s.HookURL)
	}
	tw.Flush()
}

// triggerState says whether a trigger starts anything, and if not why.
func triggerState(s trigger.Status) string {
	switch {
	case s.PausedInConfig:
		return "paused (config)"
	case s.Paused && s.PausedBy != "":
		return "paused by " + s.PausedBy
	case s.Paused:
		return "paused"
	}
	return "active"
}

func newTriggersPauseCmd(g *globals, pause bool) *cobra.Command {
	use, short, done := "resume", "Resume a trigger paused at run time", "resumed"
	if pause {
		use, short, done = "pause", "Pause a trigger: it starts nothing until resumed", "paused"
	}
	return &cobra.Command{
		Use:   use + " APPLICATION/PIPELINE/TRIGGER",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().SetTriggerPaused(cmd.Context(), args[0], pause)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), st)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s trigger %s\n", done, st.Key)
			if !pause && st.PausedInConfig {
				fmt.Fprintf(cmd.OutOrStdout(), "it stays paused: its config says paused: true (remove that and apply the config)\n")
			}
			return nil
		},
	}
}

func newTriggersTestCmd(g *globals) *cobra.Command {
	var payloadFile string
	cmd := &cobra.Command{
		Use:   "test APPLICATION/PIPELINE/TRIGGER --payload FILE",
		Short: "Show what a firing with a payload would do (its when conditions and params); starts nothing",
		Long: "For a webhook trigger FILE is a delivery's JSON body (as the provider sends it). For the other\n" +
			"sources it is a JSON object of the source's variables, such as {\"tag\": \"1.4.0\", \"digest\": \"sha256:...\"}\n" +
			"for a registry trigger. \"-\" reads standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			payload, err := readPayload(cmd.InOrStdin(), payloadFile)
			if err != nil {
				return err
			}
			dry, err := g.client().TestTrigger(cmd.Context(), args[0], payload)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), dry)
			}
			printDryRun(cmd.OutOrStdout(), dry)
			return nil
		},
	}
	cmd.Flags().StringVarP(&payloadFile, "payload", "p", "", "JSON file with the payload (- for standard input)")
	_ = cmd.MarkFlagRequired("payload")
	return cmd
}

// readPayload reads a test payload file and checks it is one JSON document.
func readPayload(stdin io.Reader, name string) (json.RawMessage, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("--payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTestPayload+1))
	if err != nil {
		return nil, fmt.Errorf("--payload %s: %w", name, err)
	}
	if len(b) > maxTestPayload {
		return nil, fmt.Errorf("--payload %s: over %d KiB: test with a smaller payload", name, maxTestPayload>>10)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--payload %s: not JSON: give a webhook delivery's JSON body, or an object of the source's variables", name)
	}
	return b, nil
}

func printDryRun(w io.Writer, d *trigger.DryRun) {
	verdict := "would start pipeline " + d.Pipeline
	if !d.WouldStart {
		verdict = "would start nothing: " + d.Skipped
	}
	fmt.Fprintf(w, "Trigger    %s (%s)\n", d.Key, d.Type)
	fmt.Fprintf(w, "Result     %s\n", verdict)
	for _, c := range d.Conditions {
		res := fmt.Sprint(c.Result)
		if c.Error != "" {
			res = "error: " + c.Error
		}
		fmt.Fprintf(w, "When       %s -> %s\n", c.Expr, res)
	}
	keys := make([]string, 0, len(d.Params))
	for k := range d.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ps []string
	for _, k := range keys {
		ps = append(ps, k+"="+d.Params[k])
	}
	fmt.Fprintf(w, "Params     %s\n", strings.Join(ps, " "))
}
