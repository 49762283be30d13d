package api

import (
	"context"
	"net/http"

	"github.com/gennaker/gennaker/internal/model"
)

// TargetCheck is what the server found when it checked an environment's
// target for what its settings need (gateway traffic: the Gateway API).
type TargetCheck struct {
	Environment string `json:"environment"`
	// Problem is what the target lacks, with what to install or change;
	// "" when it has what the environment needs.
	Problem string `json:"problem,omitempty"`
	// Error says why the server could not check (the cluster unreachable,
	// the kubeconfig unreadable, ...).
	Error string `json:"error,omitempty"`
}

// TargetChecks is the answer of POST /api/v1/config/check-targets.
type TargetChecks struct {
	// Checks has one entry per environment with something to check.
	Checks []TargetCheck `json:"checks"`
}

// TargetChecker checks the targets of environments from the server, with
// its credentials (their kubeconfig files are the server's).
type TargetChecker func(ctx context.Context, envs []model.Environment) []TargetCheck

// checkTargets checks the targets of the environments of a config set, as
// `validate --against-server` and `apply` report.
func (s *Server) checkTargets(w http.ResponseWriter, r *http.Request) {
	var cfg model.Config
	if err := decodeBody(w, r, &cfg, maxConfigBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := TargetChecks{Checks: []TargetCheck{}}
	if s.cfg.CheckTargets != nil && len(cfg.Environments) > 0 {
		out.Checks = append(out.Checks, s.cfg.CheckTargets(r.Context(), cfg.Environments)...)
	}
	writeJSON(w, 200, out)
}
