package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

func parseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: write it as NAME=VALUE", kv)
		}
		out[k] = v
	}
	return out, nil
}

func newRunCmd(g *globals) *cobra.Command {
	var params []string
	var req client.RunRequest
	var watch, quiet, fix bool
	cmd := &cobra.Command{
		Use:   "run PIPELINE",
		Short: "Start an execution of a pipeline",
		Long: "Start an execution of a pipeline. It prints a sentence with the execution's ID; for scripts,\n" +
			"-q prints just the ID, -o name prints execution/ID (as kubectl does) and -o json the whole execution:\n\n" +
			"  ID=$(gennaker run hello-release -p version=v2 -q)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if quiet && watch {
				return fmt.Errorf("-q and --watch do not go together: -q prints only the ID; follow it with gennaker execution ID --watch")
			}
			var err error
			if req.Params, err = parseParams(params); err != nil {
				return err
			}
			markFix(req.Params, fix)
			if req.CommitTime != "" {
				if _, err := time.Parse(time.RFC3339, req.CommitTime); err != nil {
					return fmt.Errorf("--commit-time %q: write an RFC 3339 time such as 2026-11-27T10:00:00Z", req.CommitTime)
				}
			}
			exec, err := g.client().Run(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(cmd.OutOrStdout(), exec.ID)
				return nil
			}
			return showStarted(cmd, g, exec, watch)
		},
	}
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "pipeline parameter NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&fix, "fix", false, "mark the change as a fix: the error-budget deploy policy never holds it (parameter fix=true)")
	cmd.Flags().StringVar(&req.CommitSHA, "commit", "", "commit SHA this run delivers (for delivery KPIs)")
	cmd.Flags().StringVar(&req.CommitTime, "commit-time", "", "when that commit was made, RFC 3339")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "show progress until the execution ends; exit non-zero if it fails")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the execution's ID (for scripts)")
	return cmd
}

// showStarted prints a new execution, and follows it with --watch.
func showStarted(cmd *cobra.Command, g *globals, exec *model.Execution, watch bool) error {
	out := cmd.OutOrStdout()
	if !watch {
		switch g.output {
		case "json":
			return printJSON(out, exec)
		case "name":
			fmt.Fprintln(out, "execution/"+exec.ID)
			return nil
		}
		fmt.Fprintf(out, "execution %s started (follow it with: gennaker execution %s --watch)\n", exec.ID, exec.ID)
		return nil
	}
	if g.output != "json" {
		fmt.Fprintf(out, "execution %s started\n", exec.ID)
	}
	return watchExecution(cmd.Context(), g, out, exec.ID)
}

// watchExecution prints each stage's changes until the execution ends
// (its status, and each new step it reports: a canary's weights, analyses
// and pauses) and returns an exit error unless it succeeded.
func watchExecution(ctx context.Context, g *globals, out io.Writer, id string) error {
	seen := map[string]string{}
	last, err := g.client().Watch(ctx, id, func(e *model.Execution) {
		if g.output == "json" {
			return
		}
		for _, line := range watchLines(seen, e, time.Now()) {
			fmt.Fprintln(out, line)
		}
	})
	if err != nil {
		return err
	}
	if g.output == "json" {
		if err := printJSON(out, last); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "execution %s %s", last.ID, last.Status)
		if last.Reason != "" {
			fmt.Fprintf(out, ": %s", last.Reason)
		}
		fmt.Fprintln(out)
	}
	if last.Status != model.ExecutionSucceeded {
		return &exitError{code: 1}
	}
	return nil
}

// watchLines is what a watch prints for one look at an execution: a line
// per stage whose status or detail changed since the last look (seen
// remembers them).
func watchLines(seen map[string]string, e *model.Execution, now time.Time) []string {
	var out []string
	for _, st := range e.Stages {
		detail := stageDetail(st)
		key := string(st.Status) + "|" + detail
		if seen[st.Name] == key {
			continue
		}
		seen[st.Name] = key
		if st.Status == model.StagePending {
			continue
		}
		line := fmt.Sprintf("%s  %-22s %-16s", now.Format("15:04:05"), st.Name, st.Status)
		if detail != "" {
			line += "  " + detail
		}
		out = append(out, line)
	}
	return out
}

func newExecutionsCmd(g *globals) *cobra.Command {
	var app, pipeline, status string
	var limit int
	cmd := &cobra.Command{
		Use:     "executions",
		Aliases: []string{"execs"},
		Short:   "List executions, newest first",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			set := func(k, v string) {
				if v != "" {
					q.Set(k, v)
				}
			}
			set("application", app)
			set("pipeline", pipeline)
			set("status", status)
			q.Set("limit", fmt.Sprint(limit))
			execs, err := g.client().Executions(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), execs)
			}
			printExecutions(cmd.OutOrStdout(), execs)
			return nil
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "only this application")
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline")
	cmd.Flags().StringVar(&status, "status", "", "only these statuses (comma separated: running,succeeded,failed,canceled)")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many")
	return cmd
}

func newExecutionCmd(g *globals) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "execution ID",
		Short: "Show an execution: its stages, their status and failure reasons",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if watch {
				return watchExecution(cmd.Context(), g, cmd.OutOrStdout(), args[0])
			}
			exec, err := g.client().Execution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), exec)
			}
			printExecution(cmd.OutOrStdout(), exec)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow until it ends; exit non-zero if it fails")
	return cmd
}

func newJudgeCmd(g *globals, decision string) *cobra.Command {
	var stage, comment string
	verb := map[string]string{"approve": "Approve", "reject": "Reject"}[decision]
	cmd := &cobra.Command{
		Use:   decision + " ID",
		Short: verb + " the stage of an execution that waits for a judgment (or a canary pause)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			exec, err := g.client().Judge(cmd.Context(), args[0], decision, stage, comment)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), exec)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s execution %s\n", map[string]string{"approve": "approved", "reject": "rejected"}[decision], exec.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "the waiting stage (needed only when several wait)")
	cmd.Flags().StringVarP(&comment, "comment", "m", "", "why (recorded with the decision)")
	return cmd
}

func newCancelCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a running execution (a deploy in progress restores traffic)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			exec, err := g.client().Cancel(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), exec)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "canceled execution %s\n", exec.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&reason, "reason", "m", "", "why (recorded)")
	return cmd
}

func newPipelinesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pipelines",
		Short: "List pipelines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pls, err := g.client().Pipelines(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), pls)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tAPPLICATION\tSTAGES\tPARAMETERS")
			for _, p := range pls {
				var stages, params []string
				for _, s := range p.Stages {
					stages = append(stages, s.Name)
				}
				for _, pp := range p.Parameters {
					params = append(params, pp.Name)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Application, strings.Join(stages, ","), strings.Join(params, ","))
			}
			return tw.Flush()
		},
	}
}

func newEventsCmd(g *globals) *cobra.Command {
	var app, env, kind string
	var limit int
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the delivery event log (deploys, failures, rollbacks, manual steps)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			for k, v := range map[string]string{"application": app, "environment": env, "kind": kind} {
				if v != "" {
					q.Set(k, v)
				}
			}
			evs, err := g.client().Events(cmd.Context(), q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), evs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TIME\tKIND\tAPP\tENV\tVERSION\tEXECUTION\tACTOR\tDETAIL")
			for _, e := range evs {
				kind := string(e.Kind)
				if e.Action != "" {
					kind += ":" + e.Action
				}
				version := e.Version
				if e.FromVersion != "" { // a rollback: from → to
					version = e.FromVersion + "→" + e.Version
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("01-02 15:04:05"), kind, e.Application, e.Environment, version, e.ExecutionID, e.Actor, oneLine(e.Detail, 60))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "only this application")
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().StringVar(&kind, "kind", "", "only these kinds (comma separated)")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many (newest)")
	return cmd
}

// markFix records --fix as the run parameter model.ParamFix.
func markFix(params map[string]string, fix bool) {
	if fix {
		params[model.ParamFix] = "true"
	}
}
