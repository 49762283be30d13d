package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/deploy"
)

// addDeployCommands adds deploy, status, rollback and logs.
func addDeployCommands(root *cobra.Command, g *globals) {
	root.AddCommand(newDeployCmd(g), newStatusCmd(g), newRollbackCmd(g), newAdoptCmd(g), newLogsCmd(g), newManifestsCmd(g), newSampleServiceCmd(), newDemoCmd())
}

func newDeployCmd(g *globals) *cobra.Command {
	var req deploy.Request
	var params, envVars []string
	var commitTime string
	var watch, fix bool
	cmd := &cobra.Command{
		Use:   "deploy APP --env ENV --version V",
		Short: "Deploy a version of an application to an environment",
		Long: "Deploy a version with the application's pipeline for that environment (or --pipeline),\n" +
			"or, when it has none, with a one-stage highlander deploy.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Application = args[0]
			var err error
			if req.Params, err = parseParams(params); err != nil {
				return err
			}
			markFix(req.Params, fix)
			if req.Env, err = parseParams(envVars); err != nil {
				return err
			}
			if commitTime != "" {
				t, err := time.Parse(time.RFC3339, commitTime)
				if err != nil {
					return fmt.Errorf("--commit-time %q: write an RFC 3339 time such as 2026-11-27T10:00:00Z", commitTime)
				}
				req.CommitTime = &t
			}
			exec, err := g.client().Deploy(cmd.Context(), req)
			if err != nil {
				return err
			}
			return showStarted(cmd, g, exec, watch)
		},
	}
	cmd.Flags().StringVar(&req.Environment, "env", "", "environment to deploy to")
	cmd.Flags().StringVar(&req.Version, "version", "", "version to deploy")
	cmd.Flags().StringVar(&req.Pipeline, "pipeline", "", "pipeline to run (default: the application's pipeline for the environment)")
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "pipeline parameter NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&fix, "fix", false, "mark the change as a fix: the error-budget deploy policy never holds it (parameter fix=true)")
	cmd.Flags().StringArrayVar(&envVars, "set-env", nil, "environment variable NAME=VALUE for this version's instances (repeatable; only names the application lists in spec.deployEnv)")
	cmd.Flags().StringVar(&req.CommitSHA, "commit", "", "commit SHA this deploy delivers")
	cmd.Flags().StringVar(&commitTime, "commit-time", "", "when that commit was made, RFC 3339")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "show progress until the deploy ends; exit non-zero if it fails")
	return cmd
}

func newStatusCmd(g *globals) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:   "status APP",
		Short: "Show an application's server groups, health and traffic in each environment (or one: --env)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().Status(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if env != "" {
				if err := onlyEnvironment(st, env); err != nil {
					return err
				}
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), st)
			}
			w := cmd.OutOrStdout()
			if len(st.Environments) == 0 {
				fmt.Fprintf(w, "%s is not deployed anywhere yet: gennaker deploy %s --env ENV --version V\n", st.Application, st.Application)
				return nil
			}
			for _, env := range st.Environments {
				fmt.Fprintf(w, "%s in %s", st.Application, env.Environment)
				if env.FrontDoor != "" {
					fmt.Fprintf(w, " (front door %s)", env.FrontDoorURL)
				}
				fmt.Fprintln(w)
				tw := table(w)
				fmt.Fprintln(tw, "  SERVER GROUP\tVERSION\tROLE\tSTATUS\tHEALTHY\tTRAFFIC\t")
				for _, sg := range env.ServerGroups {
					mark := ""
					if sg.LastGood {
						mark = "last good"
					}
					if sg.RolledBack {
						mark = "rolled back"
					}
					healthy := fmt.Sprintf("%d/%d", sg.Healthy, sg.Total)
					if sg.Error != "" {
						healthy = fmt.Sprintf("?/%d", sg.Total) // unknown: see the error below
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", sg.Name, sg.Version, sg.Role, sg.Status, healthy, trafficCell(sg), mark)
				}
				tw.Flush()
				if env.Error != "" {
					fmt.Fprintf(w, "  error: %s\n", env.Error)
				}
				if e := env.LastExecution; e != nil {
					fmt.Fprintf(w, "  last execution %s (%s) %s %s\n", e.ID, e.Pipeline, e.Status, oneLine(e.Reason, 80))
				}
				if rb := env.Rollback; rb != nil {
					if rb.Target != nil {
						fmt.Fprintf(w, "  rollback %s\n", rb.Target)
					} else {
						fmt.Fprintf(w, "  %s\n", rb.Summary)
					}
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	return cmd
}

func newRollbackCmd(g *globals) *cobra.Command {
	var req deploy.RollbackRequest
	var watch bool
	cmd := &cobra.Command{
		Use:   "rollback APP --env ENV",
		Short: "Send an environment's traffic back to the previous good server group",
		Long: "One-click rollback: traffic moves at once to the previous good server group if it still runs\n" +
			"(red/black keeps it), otherwise that version is deployed again. Rolling back twice does not flip back.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Application = args[0]
			exec, err := g.client().Rollback(cmd.Context(), req)
			if err != nil {
				return err
			}
			return showStarted(cmd, g, exec, watch)
		},
	}
	cmd.Flags().StringVar(&req.Environment, "env", "", "environment to roll back")
	cmd.Flags().StringVarP(&req.Reason, "reason", "m", "", "why (recorded)")
	cmd.Flags().BoolVarP(&watch, "watch", "w", true, "show progress until the rollback ends")
	return cmd
}

func newAdoptCmd(g *globals) *cobra.Command {
	var req deploy.AdoptRequest
	cmd := &cobra.Command{
		Use:   "adopt APP --env ENV --deployment NAME",
		Short: "Take over an existing Kubernetes Deployment as the application's first server group",
		Long: "Labels the Deployment and its running pods (metadata only: no pod restarts) and records it as\n" +
			"server group APP-v001 taking all traffic. The next deploy replaces it like any server group.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Application = args[0]
			sg, err := g.client().Adopt(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "adopted Deployment %s as %s (version %s, %d instances)\n", req.Deployment, sg.Name, sg.Version, sg.Instances)
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Environment, "env", "", "kubernetes environment the Deployment runs in")
	cmd.Flags().StringVar(&req.Deployment, "deployment", "", "name of the Deployment in the environment's namespace")
	cmd.Flags().BoolVar(&req.TakeService, "take-service", false, "hand the team's Service named like the application (spec.service.name) to gennaker: it keeps its ports, gennaker sets its selector")
	return cmd
}

func newLogsCmd(g *globals) *cobra.Command {
	var env string
	var tail int
	cmd := &cobra.Command{
		Use:   "logs APP --env ENV",
		Short: "Print the last lines of each running instance's output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.output == "json" {
				groups, err := g.client().GroupLogs(cmd.Context(), args[0], env, tail)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), groups)
			}
			out, err := g.client().Logs(cmd.Context(), args[0], env, tail)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), out)
			return err
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment")
	cmd.Flags().IntVar(&tail, "tail", 50, "lines per instance")
	return cmd
}

// trafficCell is a group's weight, with the share it really gets beside it
// when the two differ (traffic follows replica counts), e.g. "10% (33% effective)".
func trafficCell(sg deploy.ServerGroupStatus) string {
	if sg.EffectiveWeight == sg.Weight {
		return fmt.Sprintf("%d%%", sg.Weight)
	}
	return fmt.Sprintf("%d%% (%d%% effective)", sg.Weight, sg.EffectiveWeight)
}

// onlyEnvironment keeps env's status in st, or says where the application is.
func onlyEnvironment(st *deploy.AppStatus, env string) error {
	var names []string
	for _, es := range st.Environments {
		if es.Environment == env {
			st.Environments = []deploy.EnvironmentStatus{es}
			return nil
		}
		names = append(names, es.Environment)
	}
	where := "it is not deployed anywhere yet"
	if len(names) > 0 {
		where = "it is in: " + strings.Join(names, ", ")
	}
	return fmt.Errorf("--env %s: %s has no server groups or executions in environment %q (%s)", env, st.Application, env, where)
}
