package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// TriggerClaim claims a delivery in one conditional insert. Under READ
// COMMITTED a concurrent claim of the same delivery waits on the first
// one's row until its transaction ends: when it committed, the insert does
// nothing and TriggerFiringGet (a new snapshot) reads the winner's
// execution ID; when it rolled back, the insert wins.
func (q *queries) TriggerClaim(ctx context.Context, params store.TriggerClaimParams) (string, bool, error) {
	at := params.At
	if at.IsZero() {
		at = q.nowUTC()
	}
	var id string
	err := q.db.QueryRow(ctx, query("TriggerClaim"), pgx.NamedArgs{
		"key": params.Key, "delivery_id": params.DeliveryID, "execution_id": params.ExecutionID, "at": at.UTC(),
	}).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return "", false, fmt.Errorf("trigger %s: claiming delivery %s: %w", params.Key, params.DeliveryID, err)
	}
	if err := q.db.QueryRow(ctx, query("TriggerFiringGet"), pgx.NamedArgs{"key": params.Key, "delivery_id": params.DeliveryID}).Scan(&id); err != nil {
		return "", false, fmt.Errorf("trigger %s: reading the claim of delivery %s: %w", params.Key, params.DeliveryID, err)
	}
	return id, false, nil
}

// TriggerFiringGet implements store.Queries.
func (q *queries) TriggerFiringGet(ctx context.Context, key, deliveryID string) (string, bool, error) {
	var id string
	err := q.db.QueryRow(ctx, query("TriggerFiringGet"), pgx.NamedArgs{"key": key, "delivery_id": deliveryID}).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("trigger %s: reading the claim of delivery %s: %w", key, deliveryID, err)
	}
	return id, true, nil
}

// TriggerStateGet implements store.Queries.
func (q *queries) TriggerStateGet(ctx context.Context, key string) (store.TriggerState, error) {
	st, err := scanTriggerState(q.db.QueryRow(ctx, query("TriggerStateGet"), pgx.NamedArgs{"key": key}))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.TriggerState{Key: key}, nil
	}
	if err != nil {
		return store.TriggerState{}, fmt.Errorf("trigger %s: reading its state: %w", key, err)
	}
	return *st, nil
}

// TriggerStateList implements store.Queries.
func (q *queries) TriggerStateList(ctx context.Context) ([]store.TriggerState, error) {
	out, err := listRows(ctx, q, "TriggerStateList", scanTriggerState, pgx.NamedArgs{})
	if err != nil {
		return nil, fmt.Errorf("list trigger states: %w", err)
	}
	return out, nil
}

// TriggerPauseSet implements store.Queries.
func (q *queries) TriggerPauseSet(ctx context.Context, params store.TriggerPauseParams) error {
	at := params.At
	if at.IsZero() {
		at = q.nowUTC()
	}
	if _, err := q.db.Exec(ctx, query("TriggerPauseSet"), pgx.NamedArgs{
		"key": params.Key, "paused": params.Paused, "by": params.By, "at": at.UTC(),
	}); err != nil {
		return fmt.Errorf("trigger %s: setting paused=%v: %w", params.Key, params.Paused, err)
	}
	return nil
}

// TriggerCursorSet implements store.Queries.
func (q *queries) TriggerCursorSet(ctx context.Context, key string, cursor []byte) error {
	if _, err := q.db.Exec(ctx, query("TriggerCursorSet"), pgx.NamedArgs{"key": key, "cursor": cursor, "now": q.nowUTC()}); err != nil {
		return fmt.Errorf("trigger %s: saving its cursor: %w", key, err)
	}
	return nil
}

// TriggerFiredSet implements store.Queries.
func (q *queries) TriggerFiredSet(ctx context.Context, params store.TriggerFiredParams) error {
	if _, err := q.db.Exec(ctx, query("TriggerFiredSet"), pgx.NamedArgs{
		"key": params.Key, "fired_at": utcPtr(params.FiredAt), "error": params.Error, "looked_at": utcPtr(params.LookedAt), "now": q.nowUTC(),
	}); err != nil {
		return fmt.Errorf("trigger %s: recording its last firing: %w", params.Key, err)
	}
	return nil
}

func scanTriggerState(row pgx.Row) (*store.TriggerState, error) {
	var st store.TriggerState
	if err := row.Scan(&st.Key, &st.Paused, &st.PausedBy, &st.PausedAt, &st.Cursor, &st.LastFiredAt, &st.LastError, &st.LookedAt, &st.UpdatedAt); err != nil {
		return nil, err
	}
	st.PausedAt, st.LastFiredAt, st.UpdatedAt = utcPtr(st.PausedAt), utcPtr(st.LastFiredAt), utc(st.UpdatedAt)
	return &st, nil
}
