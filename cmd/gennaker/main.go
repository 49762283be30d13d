// Command gennaker is a continuous-delivery control plane in one binary: a
// server that runs pipelines durably and deploys applications with
// highlander, red/black, rolling and canary strategies, and the CLI that
// talks to it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/config"
)

// exitError carries a specific exit code (e.g. a watched execution failed).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "gennaker:", ee.msg)
		}
		os.Exit(ee.code)
	}
	var cfgErrs *config.Errors
	if errors.As(err, &cfgErrs) {
		// One problem per line, each starting file:line:column, as editors
		// and CI annotations expect.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "gennaker:", err)
	os.Exit(1)
}

// globals are the flags every command shares.
type globals struct {
	server  string
	token   string
	context string
	output  string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "gennaker",
		Short:         "Continuous delivery for microservices in one binary",
		Long:          "gennaker runs delivery pipelines as durable executions and deploys applications with\nhighlander, red/black, rolling and canary strategies, with automatic rollback.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.server, "server", "", "API address of the gennaker server (env GENNAKER_SERVER; default: the current context's, else http://127.0.0.1:7070)")
	root.PersistentFlags().StringVar(&g.token, "token", "", "API token (env GENNAKER_TOKEN; default: the one stored for the server in the CLI's config file)")
	root.PersistentFlags().StringVar(&g.context, "context", "", "context of the CLI's config file to use (env GENNAKER_CONTEXT)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	root.AddCommand(
		newServerCmd(), newMigrateCmd(), newStoreCmd(g),
		newApplyCmd(g), newValidateCmd(g), newSchemaCmd(),
		newRunCmd(g), newExecutionsCmd(g), newExecutionCmd(g),
		newJudgeCmd(g, "approve"), newJudgeCmd(g, "reject"), newCancelCmd(g),
		newControlCmd(g, "promote"), newControlCmd(g, "abort"), newControlCmd(g, "retry"),
		newPipelinesCmd(g), newEventsCmd(g), newApplicationsCmd(g), newEnvironmentsCmd(g), newAnalysisCmd(g), newOfflineJudgeCmd(g),
		newLoginCmd(g), newLogoutCmd(g), newContextCmd(g), newWhoamiCmd(g), newUICmd(g), newTokenCmd(g), newAuditCmd(g),
		newFrontDoorCmd(), newDeleteCmd(g), newNotificationsCmd(g), newTriggersCmd(g), newKPICmd(g), newIncidentsCmd(g),
		newSLOCmd(g),
	)
	addDeployCommands(root, g)
	return root
}
