package kpigen

import (
	"context"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Store is what Apply writes through.
type Store interface {
	ConfigApply(ctx context.Context, cfg model.Config) (store.ApplyResult, error)
	InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

// Apply writes h into st as a server would have: the initial config, the
// events in commit order (batch events per transaction), then the final
// config (an application moved to another team).
func (h *History) Apply(ctx context.Context, st Store, batch int) error {
	if _, err := st.ConfigApply(ctx, h.Initial); err != nil {
		return fmt.Errorf("applying the generated config: %w", err)
	}
	if err := InsertEvents(ctx, st, h.Events, batch); err != nil {
		return err
	}
	if _, err := st.ConfigApply(ctx, h.Final); err != nil {
		return fmt.Errorf("applying the final config: %w", err)
	}
	return nil
}

// InsertEvents appends evs in order, batch to a transaction (at least 1).
func InsertEvents(ctx context.Context, st Store, evs []model.Event, batch int) error {
	batch = max(batch, 1)
	for i := 0; i < len(evs); i += batch {
		chunk := evs[i:min(i+batch, len(evs))]
		err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for j := range chunk {
				ev := chunk[j]
				if err := tx.EventInsert(ctx, &ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("inserting events %d to %d: %w", i, i+len(chunk), err)
		}
	}
	return nil
}
