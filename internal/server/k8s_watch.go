package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// k8sRefresh is how often the server looks for Kubernetes environments
// whose pod watch is not running yet (new or changed config) when another
// replica may have applied them (a shared store). On the embedded store
// every apply goes through this server, which looks after each one
// (k8sApplied), and only every k8sRefreshAlone besides.
const (
	k8sRefresh      = 5 * time.Second
	k8sRefreshAlone = 10 * time.Minute
)

// environmentLister is the part of the store watchEnvironments reads.
type environmentLister interface {
	EnvironmentList(ctx context.Context) ([]model.Environment, error)
}

// watchEnvironments starts every Kubernetes environment's target (its
// client and its pod watch) when the server starts, and the targets of
// environments applied later: at once when applied through this server
// (a value on applied), else within every: a canary split keeps new pods of
// enabled groups in traffic from the server's start, not from the first
// deploy or status read that touches the environment.
func (k *k8sTargets) watchEnvironments(ctx context.Context, st environmentLister, log *slog.Logger, applied <-chan struct{}, every time.Duration) {
	for {
		envs, err := st.EnvironmentList(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("kubernetes: listing environments to watch", "err", err)
		}
		for _, env := range envs {
			if env.Target.Kind != model.TargetKubernetes {
				continue
			}
			if _, err := k.target(env); err != nil {
				log.Warn("kubernetes: environment target", "environment", env.Name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-applied:
		case <-time.After(every):
		}
	}
}
