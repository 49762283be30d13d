package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newNotificationsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "See how notifications fare, and send test messages",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Show each notification's deliveries: pending, failing, sent, dead, and the newest error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := g.client().Notifications(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no notifications: apply a Notification (see docs/notifications.md)")
				return nil
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tTARGET\tHEALTH\tPENDING\tFAILING\tSENT\tDEAD\tLAST SENT\tLAST ERROR")
			for _, s := range list {
				last := "-"
				if s.LastSent != nil {
					last = s.LastSent.Local().Format(time.DateTime)
				}
				lastErr := "-"
				if s.LastError != "" {
					lastErr = oneLine(s.LastError, 80)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Name, s.Target, strings.ToUpper(s.Health),
					s.Pending, s.Failing, s.Sent, s.Dead, last, lastErr)
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "test NAME",
		Short: "Send a test message through a notification's target now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.client().TestNotification(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sent a test message through notification %s\n", args[0])
			return nil
		},
	})
	return cmd
}
