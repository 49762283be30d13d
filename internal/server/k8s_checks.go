package server

import (
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
)

// checkJobs gives the runner of analysis job checks of an environment: its
// Kubernetes provider. Local environments have no Jobs to run.
func (k *k8sTargets) checkJobs(env model.Environment) (stage.JobRunner, error) {
	if env.Target.Kind != model.TargetKubernetes {
		return nil, fmt.Errorf("environment %s is not a kubernetes environment (target kind %q)", env.Name, kindName(env.Target.Kind))
	}
	t, err := k.target(env)
	if err != nil {
		return nil, err
	}
	return t.p, nil
}

func kindName(k model.TargetKind) string {
	if k == "" {
		return string(model.TargetLocal)
	}
	return string(k)
}
