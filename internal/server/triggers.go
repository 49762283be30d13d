package server

import (
	"context"
	"log/slog"

	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
	"github.com/gennaker/gennaker/internal/trigger/gitpoll"
	"github.com/gennaker/gennaker/internal/trigger/registry"
	"github.com/gennaker/gennaker/internal/trigger/runner"
	"github.com/gennaker/gennaker/internal/trigger/schedule"
	"github.com/gennaker/gennaker/internal/trigger/upstream"
)

// triggerPollers are the pollers of the polling trigger sources, by type.
// Webhook triggers are the API's (POST /api/v1/hooks/{hook}).
func triggerPollers(st store.Store, log *slog.Logger) map[string]trigger.Poller {
	log = log.With("component", "triggers")
	secrets := &secret.Resolver{}
	return map[string]trigger.Poller{
		"registry": &registry.Poller{Secrets: secrets, Logger: log},
		"git":      &gitpoll.Poller{Secrets: secrets, Logger: log},
		"schedule": &schedule.Poller{Logger: log},
		"pipeline": &upstream.Poller{Store: st},
	}
}

// triggerRunner builds the runner of the polling triggers over the
// trigger service: it starts each firing once (starter), keeps the
// sources' cursors (cursors) and, when it can, each trigger's last error.
// Every replica runs one; the service's delivery claims make each firing
// start one execution however many see it.
func triggerRunner(st store.Store, starter trigger.Starter, cursors trigger.Cursors, log *slog.Logger) *runner.Runner {
	cfg := runner.Config{
		Pipelines: st, Starter: starter, Cursors: cursors,
		Pollers: triggerPollers(st, log), Logger: log.With("component", "triggers"),
	}
	if rep, ok := starter.(runner.Reporter); ok {
		cfg.Reporter = rep
	}
	return runner.New(cfg)
}

// runTriggers runs r until ctx ends; the returned wait returns once it has
// stopped (before the engine stops: its firings start executions).
func runTriggers(ctx context.Context, r *runner.Runner) (wait func()) {
	if r == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { <-done }
}
