package server

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// sloReader is what the sloGate stage and the deploys' error-budget policy
// read (stage.SLOReader): the store, whose SLOList gives the applied
// config's resolved OpenSLO SLOs when it has one (store.SLOConfigQueries);
// without it only the applications' `slo:` shorthand SLOs gate deploys.
type sloReader struct{ store.Store }

var _ stage.SLOReader = sloReader{}

func (r sloReader) SLOList(ctx context.Context) ([]model.SLO, error) {
	if l, ok := r.Store.(store.SLOConfigQueries); ok {
		return l.SLOList(ctx)
	}
	return nil, nil
}
