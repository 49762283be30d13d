package slo

import (
	"context"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Source counts an SLI for one objective over [from, to): good and total
// events (Occurrences), or good slices and slices with data (Timeslices).
// The evaluator has one per metric source (Prometheus, front door).
type Source interface {
	Counts(ctx context.Context, s model.SLO, o model.Objective, from, to time.Time) (Counts, error)
}
