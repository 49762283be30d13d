package storetest

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testNotFound(t *testing.T, d Driver) {
	b := setup(t, d)
	insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))

	cases := map[string]func() error{
		"ApplicationGet": func() error { _, err := b.store.ApplicationGet(b.ctx, "nope"); return err },
		"EnvironmentGet": func() error { _, err := b.store.EnvironmentGet(b.ctx, "nope"); return err },
		"PipelineGet":    func() error { _, err := b.store.PipelineGet(b.ctx, "nope"); return err },
		"ExecutionGet":   func() error { _, err := b.store.ExecutionGet(b.ctx, "nope"); return err },
		"StageGet/NoExecution": func() error {
			_, err := b.store.StageGet(b.ctx, "nope", "zeta")
			return err
		},
		"StageGet/NoStage": func() error {
			_, err := b.store.StageGet(b.ctx, "exec-1", "nope")
			return err
		},
		"ServerGroupGet": func() error { _, err := b.store.ServerGroupGet(b.ctx, "prod", "nope"); return err },
		"ExecutionSetStatus": func() error {
			return b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{
				ID: "nope", From: []model.ExecutionStatus{model.ExecutionRunning}, To: model.ExecutionCanceled,
			})
		},
		"ExecutionReopen": func() error {
			return b.store.ExecutionReopen(b.ctx, store.ExecutionReopenParams{ID: "nope", From: []model.ExecutionStatus{model.ExecutionFailed}})
		},
		"StageUpdate": func() error {
			return b.store.StageUpdate(b.ctx, store.StageUpdateParams{
				Stage: &model.Stage{ExecutionID: "exec-1", Name: "nope", Status: model.StageRunning},
				From:  []model.StageStatus{model.StagePending},
			})
		},
		"TokenGet": func() error { _, err := b.store.TokenGet(b.ctx, "nope"); return err },
		"TokenRevoke": func() error {
			_, err := b.store.TokenRevoke(b.ctx, store.TokenRevokeParams{Name: "nope", By: "ada"})
			return err
		},
		"SessionGet": func() error { _, err := b.store.SessionGet(b.ctx, "nope"); return err },
		"LoginLinkConsume": func() error {
			_, err := b.store.LoginLinkConsume(b.ctx, "nope", t0)
			return err
		},
		"ServerGroupUpdate": func() error {
			return b.store.ServerGroupUpdate(b.ctx, store.ServerGroupUpdateParams{Environment: "prod", Name: "nope", Weight: ptr(10)})
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			wantErrIs(t, call(), store.ErrNotFound)
		})
	}
}
