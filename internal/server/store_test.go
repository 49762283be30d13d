package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func TestRefuseLocalEnvironments(t *testing.T) {
	cfg := model.Config{Environments: []model.Environment{
		{Name: "dev"}, // no target: local
		{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}},
		{Name: "prod", Target: model.TargetSpec{Kind: model.TargetKubernetes}},
	}}
	err := refuseLocalEnvironments(cfg)
	if !errors.Is(err, errLocalOnSharedStore) {
		t.Fatalf("got %v, want errLocalOnSharedStore", err)
	}
	msg := err.Error()
	for _, want := range []string{"Environment dev: target.kind", "Environment staging: target.kind", "kubernetes target"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "prod") {
		t.Errorf("error %q names the Kubernetes environment", msg)
	}
	if err := refuseLocalEnvironments(model.Config{Environments: cfg.Environments[2:]}); err != nil {
		t.Errorf("a Kubernetes-only config was refused: %v", err)
	}
}
