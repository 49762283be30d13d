package server

import (
	"context"
	"errors"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// k8sCheckTimeout bounds the check of one environment's target.
const k8sCheckTimeout = 10 * time.Second

// checkTargets checks what the Kubernetes environments in gateway traffic
// mode need from their cluster (kubernetes.Provider.Preflight), with a
// client of their own: the environments may not be stored yet.
func (k *k8sTargets) checkTargets(ctx context.Context, envs []model.Environment) []api.TargetCheck {
	var out []api.TargetCheck
	for _, env := range envs {
		t := env.Target
		if t.Kind != model.TargetKubernetes || t.Traffic != model.TrafficGateway {
			continue
		}
		c := api.TargetCheck{Environment: env.Name}
		p, err := kubernetes.New(kubernetes.Config{
			Environment: env.Name, Kubeconfig: t.Kubeconfig, Context: t.Context, Namespace: t.Namespace,
			Traffic: t.Traffic, Gateway: t.Gateway,
			Logger:  k.log.With("component", "kubernetes", "environment", env.Name),
			Backoff: kubernetes.Backoff{Budget: k8sCheckTimeout / 2},
		})
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, k8sCheckTimeout)
			err = p.Preflight(cctx)
			cancel()
		}
		switch {
		case errors.Is(err, kubernetes.ErrGatewayAPIMissing):
			c.Problem = err.Error()
		case err != nil:
			c.Error = err.Error()
		}
		out = append(out, c)
	}
	return out
}
