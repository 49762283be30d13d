package server

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/trigger"
)

type noStarter struct{}

func (noStarter) Fire(context.Context, trigger.Firing) (trigger.Result, error) {
	return trigger.Result{}, nil
}

// The webhook endpoint reads the triggers on a hook from the applied
// config, as stored.
func TestHookTriggersReadTheAppliedConfig(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret := model.FromSecret(model.SecretRef{Env: "HOOK_SECRET"})
	cfg := model.Config{
		Applications: []model.Application{{Name: "shop", Instances: 1, Run: model.RunSpec{Command: "sleep"}}},
		Pipelines: []model.Pipeline{{Name: "release", Application: "shop", Stages: []model.StageSpec{{Name: "n", Noop: &model.NoopStage{}}},
			Triggers: []model.TriggerSpec{
				{Name: "ci", Webhook: &model.WebhookTrigger{Provider: trigger.ProviderHMAC, Secret: secret}},
				{Name: "push", Webhook: &model.WebhookTrigger{Hook: "github", Provider: trigger.ProviderGitHub, Secret: secret}},
			}}},
	}
	if _, err := st.ConfigApply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	h := hookTriggers{Starter: noStarter{}, store: st}
	refs, err := h.HookTriggers(t.Context(), "github")
	if err != nil || len(refs) != 1 || refs[0].Key() != "shop/release/push" || refs[0].Spec.Webhook.Secret.Secret.Env != "HOOK_SECRET" {
		t.Fatalf("HookTriggers(github) = %+v, %v; want shop/release/push with its secret reference", refs, err)
	}
	if refs, err := h.HookTriggers(t.Context(), "nope"); err != nil || len(refs) != 0 {
		t.Fatalf("HookTriggers(nope) = %+v, %v; want none", refs, err)
	}
}
