package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gennaker/gennaker/internal/provider/kubernetes/render"
)

// newManifestsCmd prints the manifests a deploy applied, or what changed
// between two deploys' manifests.
func newManifestsCmd(g *globals) *cobra.Command {
	var against string
	cmd := &cobra.Command{
		Use:   "manifests EXECUTION [--diff OTHER_EXECUTION]",
		Short: "Show the Kubernetes manifests a deploy applied, or diff two deploys' manifests",
		Long: "Every deploy to a Kubernetes environment records the manifests it applied for each server group it\n" +
			"started (Deployment, versioned ConfigMaps, autoscalers, disruption budgets, the stable Service).\n" +
			"With --diff, names the objects added, removed and changed (and the changed fields) from the newest server\n" +
			"group OTHER_EXECUTION started to the newest EXECUTION started (a canary's, not its baseline's).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cur, err := executionManifests(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			if against == "" {
				return printManifests(cmd.OutOrStdout(), cur)
			}
			old, err := executionManifests(cmd.Context(), g, against)
			if err != nil {
				return err
			}
			return printDiff(cmd.OutOrStdout(), old, cur)
		},
	}
	cmd.Flags().StringVar(&against, "diff", "", "an earlier execution to compare with")
	return cmd
}

// executionManifests are the manifests of an execution's deploy stages, by
// server group.
func executionManifests(ctx context.Context, g *globals, id string) (map[string]string, error) {
	e, err := g.client().Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, st := range e.Stages {
		var o struct {
			Manifests map[string]string `json:"manifests"`
		}
		if len(st.Output) == 0 || json.Unmarshal(st.Output, &o) != nil {
			continue
		}
		for g, m := range o.Manifests {
			out[g] = m
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("execution %s recorded no manifests: only deploys to Kubernetes environments that started a server group do", id)
	}
	return out, nil
}

func printManifests(w io.Writer, m map[string]string) error {
	for _, g := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "# server group %s\n%s", g, m[g])
	}
	return nil
}

// printDiff compares the newest server group each execution started (a
// canary's, not its baseline's), by kind and name with the group's suffix
// taken out (checkout-config-v003 and -v004 are one ConfigMap in two
// versions).
func printDiff(w io.Writer, old, cur map[string]string) error {
	parse := func(m map[string]string) ([]render.Object, error) {
		g := newestGroup(m)
		objs, err := render.ParseManifest([]byte(m[g]))
		if err != nil {
			return nil, fmt.Errorf("server group %s: %w", g, err)
		}
		suffix := g[strings.LastIndex(g, "-")+1:]
		for _, o := range objs {
			o.SetName(strings.TrimSuffix(o.GetName(), "-"+suffix))
			labels := o.GetLabels()
			delete(labels, "gennaker.dev/server-group")
			o.SetLabels(labels)
		}
		return objs, nil
	}
	a, err := parse(old)
	if err != nil {
		return err
	}
	b, err := parse(cur)
	if err != nil {
		return err
	}
	changes := render.Diff(a, b)
	if len(changes) == 0 {
		fmt.Fprintln(w, "no changes")
		return nil
	}
	for _, c := range changes {
		fmt.Fprintf(w, "%s %s", c.Type, c.Key)
		if len(c.Fields) > 0 {
			fmt.Fprintf(w, ": %s", strings.Join(c.Fields, ", "))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// newestGroup is the group with the highest number (checkout-v1000 after
// checkout-v999).
func newestGroup(m map[string]string) string {
	best, bestN := "", -1
	for g := range m {
		n, _ := strconv.Atoi(g[strings.LastIndex(g, "-v")+2:])
		if n > bestN || n == bestN && g > best {
			best, bestN = g, n
		}
	}
	return best
}
