package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/deletion"
	"github.com/gennaker/gennaker/internal/model"
)

func newDeleteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete (application|environment|pipeline) NAME",
		Short: "Delete an application, environment or pipeline, and stop what it runs",
		Long: `Delete an application, environment or pipeline from the server.

What the object runs is stopped first: the server groups' instances (local
processes, Kubernetes Deployments) and its front doors (local: the address is
released; the environment's front-door process stops with its last door).
Then its records go, in one transaction:

  application  itself, its pipelines, executions, server groups and stored traffic
  environment  itself, its server groups and stored traffic (refused while a
               pipeline deploys there: delete or change the pipeline first)
  pipeline     itself (its executions stay as the application's history)

The event log and the audit log keep everything, and record the deletion.
A deletion is refused while an execution it concerns runs; --force cancels
those first (their deploys undo themselves) and waits for them to end.
A config applied with 'gennaker apply' is not pruned: an object you remove
from your files stays on the server until you delete it here.`,
		Example: `  gennaker delete application hello --dry-run
  gennaker delete application hello
  gennaker delete pipeline hello-release
  gennaker delete environment local --force`,
	}
	for _, k := range []struct {
		kind, use string
		aliases   []string
	}{
		{model.KindApplication, "application", []string{"app", "applications"}},
		{model.KindEnvironment, "environment", []string{"env", "environments"}},
		{model.KindPipeline, "pipeline", []string{"pipelines"}},
		{model.KindNotification, "notification", []string{"notifications"}},
		{model.KindSLOStored, "slo", []string{"slos"}},
	} {
		cmd.AddCommand(newDeleteKindCmd(g, k.kind, k.use, k.aliases))
	}
	return cmd
}

func newDeleteKindCmd(g *globals, kind, use string, aliases []string) *cobra.Command {
	var dryRun, force bool
	cmd := &cobra.Command{
		Use:     use + " NAME",
		Aliases: aliases,
		Short:   "Delete the " + use + " NAME (see gennaker delete --help)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Delete(cmd.Context(), kind, args[0], dryRun, force)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			printDeletion(cmd.OutOrStdout(), res)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be stopped and removed; change nothing")
	cmd.Flags().BoolVar(&force, "force", false, "cancel running executions first instead of refusing")
	return cmd
}

// printDeletion prints a deletion's plan (dry run) or outcome.
func printDeletion(w io.Writer, res *deletion.Result) {
	orNone := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	if res.DryRun {
		fmt.Fprintf(w, "would delete %s\n", res.Object)
		fmt.Fprintf(w, "  objects        %s\n", orNone(res.Objects))
		fmt.Fprintf(w, "  server groups  %s (stopped)\n", orNone(res.ServerGroups))
		fmt.Fprintf(w, "  front doors    %s (taken down)\n", orNone(res.FrontDoors))
		fmt.Fprintf(w, "  executions     %d (records removed)\n", res.Executions)
		if len(res.Running) > 0 {
			fmt.Fprintf(w, "  running        %s: refuse the deletion; --force cancels them first\n", orNone(res.Running))
		}
		if res.Blocked != "" {
			fmt.Fprintf(w, "  blocked        %s\n", res.Blocked)
		}
		fmt.Fprintln(w, "nothing was changed (--dry-run)")
		return
	}
	for _, id := range res.Canceled {
		fmt.Fprintf(w, "canceled execution %s\n", id)
	}
	if res.Deleted == nil {
		return
	}
	fmt.Fprintf(w, "deleted %s\n", strings.Join(res.Deleted.Objects, ", "))
	fmt.Fprintf(w, "  stopped %s, took down %s; removed %s, %s, %s\n",
		plural(int64(len(res.ServerGroups)), "server group"), plural(int64(len(res.FrontDoors)), "front door"),
		plural(res.Deleted.Executions, "execution"), plural(res.Deleted.ServerGroups, "server group record"),
		plural(res.Deleted.TrafficSeconds, "second")+" of traffic")
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
