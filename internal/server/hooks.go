package server

import (
	"context"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// hookTriggers is what the webhook endpoint needs (api.TriggerHooks): the
// triggers on a hook, read from the applied config in the store at each
// delivery (so a trigger removed or changed since applies at once), and
// the Starter that fires them.
type hookTriggers struct {
	trigger.Starter
	store store.Store
}

var _ api.TriggerHooks = hookTriggers{}

// HookTriggers lists the webhook triggers of the stored pipelines on hook.
func (h hookTriggers) HookTriggers(ctx context.Context, hook string) ([]trigger.Ref, error) {
	pipelines, err := h.store.PipelineList(ctx, store.PipelineListParams{})
	if err != nil {
		return nil, err
	}
	return trigger.OnHook(pipelines, hook), nil
}
