package server

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
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
	h := newHookTriggers(noStarter{}, st)
	refs, err := h.HookTriggers(t.Context(), "github")
	if err != nil || len(refs) != 1 || refs[0].Key() != "shop/release/push" || refs[0].Spec.Webhook.Secret.Secret.Env != "HOOK_SECRET" {
		t.Fatalf("HookTriggers(github) = %+v, %v; want shop/release/push with its secret reference", refs, err)
	}
	if refs, err := h.HookTriggers(t.Context(), "nope"); err != nil || len(refs) != 0 {
		t.Fatalf("HookTriggers(nope) = %+v, %v; want none", refs, err)
	}
}

// listCounter counts the pipeline listings a webhook lookup makes.
type listCounter struct {
	store.Store
	lists int
}

func (c *listCounter) PipelineList(ctx context.Context, p store.PipelineListParams) ([]model.Pipeline, error) {
	c.lists++
	return c.Store.PipelineList(ctx, p)
}

// Deliveries read the pipelines again only when the config moved on
// (an apply or a delete, through this server or another), and then see
// the change at once.
func TestHookTriggersFollowTheConfigRevision(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret := model.FromSecret(model.SecretRef{Env: "HOOK_SECRET"})
	pipeline := func(name, hook string) model.Pipeline {
		return model.Pipeline{Name: name, Application: "shop", Stages: []model.StageSpec{{Name: "n", Noop: &model.NoopStage{}}},
			Triggers: []model.TriggerSpec{{Name: "push", Webhook: &model.WebhookTrigger{Hook: hook, Provider: trigger.ProviderGitHub, Secret: secret}}}}
	}
	apply := func(pls ...model.Pipeline) {
		t.Helper()
		if _, err := st.ConfigApply(ctx, model.Config{Applications: []model.Application{{Name: "shop", Instances: 1, Run: model.RunSpec{Command: "sleep"}}},
			Pipelines: pls}); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(h hookTriggers, hook string) string {
		t.Helper()
		refs, err := h.HookTriggers(ctx, hook)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range refs {
			out = append(out, r.Key())
		}
		return strings.Join(out, " ")
	}
	apply(pipeline("release", "github"))
	c := &listCounter{Store: st}
	h := newHookTriggers(noStarter{}, c)
	for range 3 {
		if got := keys(h, "github"); got != "shop/release/push" {
			t.Fatalf("github: %q, want shop/release/push", got)
		}
	}
	if c.lists != 1 {
		t.Fatalf("three deliveries listed the pipelines %d times, want once", c.lists)
	}
	apply(pipeline("hotfix", "github"), pipeline("release", "gitlab"))
	if got := keys(h, "github"); got != "shop/hotfix/push" {
		t.Fatalf("after an apply, github: %q, want shop/hotfix/push", got)
	}
	if _, err := st.ConfigDelete(ctx, store.ConfigDeleteParams{Kind: model.KindPipeline, Name: "hotfix"}); err != nil {
		t.Fatal(err)
	}
	if got := keys(h, "github"); got != "" {
		t.Fatalf("after a delete, github: %q, want nothing", got)
	}
	if c.lists != 3 {
		t.Fatalf("the pipelines were listed %d times, want 3 (once per revision)", c.lists)
	}
}
