package sqlite

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

var _ store.SLOConfigQueries = (*queries)(nil)

// SLOList returns the stored (resolved) SLOs by name.
func (q *queries) SLOList(ctx context.Context) ([]model.SLO, error) {
	return listSpecs[model.SLO](ctx, q, model.KindSLOStored)
}

// SLOGet returns one stored SLO; store.ErrNotFound if none.
func (q *queries) SLOGet(ctx context.Context, name string) (*model.SLO, error) {
	return getSpec[model.SLO](ctx, q, model.KindSLOStored, name)
}
