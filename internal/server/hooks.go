package server

import (
	"context"
	"sync"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// hookTriggers is what the webhook endpoint needs (api.TriggerHooks): the
// triggers on a hook, from the applied config in the store (so a trigger
// removed or changed since, through any replica, applies at once), and
// the Starter that fires them.
type hookTriggers struct {
	trigger.Starter
	store store.Store
	// pipelines are the stored pipelines as of a config revision: a
	// delivery reads the revision (one small row) and lists and decodes
	// every pipeline again only when it moved, instead of at each
	// delivery.
	pipelines *revisionCache[[]model.Pipeline]
}

var _ api.TriggerHooks = hookTriggers{}

func newHookTriggers(starter trigger.Starter, st store.Store) hookTriggers {
	return hookTriggers{Starter: starter, store: st, pipelines: &revisionCache[[]model.Pipeline]{}}
}

// HookTriggers lists the webhook triggers of the stored pipelines on hook.
func (h hookTriggers) HookTriggers(ctx context.Context, hook string) ([]trigger.Ref, error) {
	pipelines, err := h.pipelines.get(ctx, h.store.ConfigRevision, func(ctx context.Context) ([]model.Pipeline, error) {
		return h.store.PipelineList(ctx, store.PipelineListParams{})
	})
	if err != nil {
		return nil, err
	}
	return trigger.OnHook(pipelines, hook), nil
}

// revisionCache keeps a value read from the config as of a revision
// (store.Queries.ConfigRevision). The value is read after the revision,
// so it is never older than the revision it is kept under: a change
// committed in between only makes the next get read it again.
type revisionCache[T any] struct {
	mu    sync.Mutex
	rev   int64
	value T
	ok    bool
}

// get returns the value as of the current revision, reading it with read
// when the revision moved since it was kept. Callers must not change it.
func (c *revisionCache[T]) get(ctx context.Context, revision func(context.Context) (int64, error), read func(context.Context) (T, error)) (T, error) {
	var zero T
	rev, err := revision(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if c.ok && c.rev == rev {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := read(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if !c.ok || rev >= c.rev {
		c.rev, c.value, c.ok = rev, v, true
	}
	c.mu.Unlock()
	return v, nil
}
