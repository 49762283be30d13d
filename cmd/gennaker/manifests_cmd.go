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
			"group OTHER_EXECUTION started to the newest EXECUTION started (a canary's, not its baseline's), in each\n" +
			"environment both deployed to (deploys in waves included).",
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

// envManifests are an execution's recorded manifests: by environment, then
// by server group (names count per environment, so checkout-v004 can be in
// two).
type envManifests map[string]map[string]string

// executionManifests are the manifests of an execution's deploy stages,
// deploys in waves included.
func executionManifests(ctx context.Context, g *globals, id string) (envManifests, error) {
	e, err := g.client().Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	out := envManifests{}
	add := func(env string, m map[string]string) {
		if len(m) == 0 {
			return
		}
		if out[env] == nil {
			out[env] = map[string]string{}
		}
		maps.Copy(out[env], m)
	}
	for _, st := range e.Stages {
		var o struct {
			Environment  string            `json:"environment"`
			Manifests    map[string]string `json:"manifests"`
			Environments []struct {
				Name      string            `json:"name"`
				Manifests map[string]string `json:"manifests"`
			} `json:"environments"`
		}
		if len(st.Output) == 0 || json.Unmarshal(st.Output, &o) != nil {
			continue
		}
		add(o.Environment, o.Manifests)
		for _, w := range o.Environments {
			add(w.Name, w.Manifests)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("execution %s recorded no manifests: only deploys to Kubernetes environments that started a server group do", id)
	}
	return out, nil
}

func printManifests(w io.Writer, m envManifests) error {
	for _, env := range slices.Sorted(maps.Keys(m)) {
		for _, g := range slices.Sorted(maps.Keys(m[env])) {
			fmt.Fprintf(w, "# server group %s in %s\n%s", g, env, m[env][g])
		}
	}
	return nil
}

// printDiff compares, in each environment both executions deployed to, the
// newest server group each started there. With more than one such
// environment, each one's changes come under its name.
func printDiff(w io.Writer, old, cur envManifests) error {
	var common []string
	for _, env := range slices.Sorted(maps.Keys(cur)) {
		if _, ok := old[env]; ok {
			common = append(common, env)
		}
	}
	if len(common) == 0 {
		return fmt.Errorf("the executions deployed to no environment in common (the older to %s, the newer to %s): compare two deploys to one environment",
			strings.Join(slices.Sorted(maps.Keys(old)), ", "), strings.Join(slices.Sorted(maps.Keys(cur)), ", "))
	}
	for _, env := range common {
		if len(common) > 1 {
			fmt.Fprintf(w, "== %s\n", env)
		}
		if err := printGroupDiff(w, old[env], cur[env]); err != nil {
			return fmt.Errorf("environment %s: %w", env, err)
		}
	}
	return nil
}

// printGroupDiff compares the newest server group each execution started
// (a canary's, not its baseline's), by kind and name with the group's
// suffix taken out (checkout-config-v003 and -v004 are one ConfigMap in two
// versions).
func printGroupDiff(w io.Writer, old, cur map[string]string) error {
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
