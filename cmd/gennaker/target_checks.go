package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

// checkTargets asks the server whether the targets of cfg's environments
// have what their settings need (a gateway environment's cluster must serve
// the Gateway API), prints what it could not check to warn, and returns the
// problems found, one per environment. A server that cannot check (the
// caller is no admin of everything, or an older server) is noted, not an
// error: the check is a courtesy before a deploy would fail.
func checkTargets(ctx context.Context, c *client.Client, cfg model.Config, warn io.Writer) []string {
	if !needsTargetCheck(cfg) {
		return nil
	}
	res, err := c.CheckTargets(ctx, model.Config{Environments: cfg.Environments})
	if err != nil {
		fmt.Fprintf(warn, "note: the server did not check the environments' targets: %v\n", err)
		return nil
	}
	var problems []string
	for _, ch := range res.Checks {
		switch {
		case ch.Problem != "":
			problems = append(problems, ch.Problem)
		case ch.Error != "":
			fmt.Fprintf(warn, "warning: environment %s: could not check its target: %s\n", ch.Environment, ch.Error)
		}
	}
	return problems
}

// needsTargetCheck: only gateway environments have anything to check.
func needsTargetCheck(cfg model.Config) bool {
	for _, e := range cfg.Environments {
		if e.Target.Kind == model.TargetKubernetes && e.Target.Traffic == model.TrafficGateway {
			return true
		}
	}
	return false
}

func problemsError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}
