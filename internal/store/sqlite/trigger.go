package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/store"
)

// TriggerClaim claims a delivery in one conditional insert; SQLite's one
// writer orders concurrent claims, so a loser reads the winner's claim
// (committed, or its own transaction's) right after.
func (q *queries) TriggerClaim(ctx context.Context, params store.TriggerClaimParams) (string, bool, error) {
	at := params.At
	if at.IsZero() {
		at = q.nowUTC()
	}
	var id string
	err := q.write.QueryRowContext(ctx, query("TriggerClaim"), sql.Named("key", params.Key), sql.Named("delivery_id", params.DeliveryID),
		sql.Named("execution_id", params.ExecutionID), sql.Named("at", formatTime(at))).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", false, fmt.Errorf("trigger %s: claiming delivery %s: %w", params.Key, params.DeliveryID, err)
	}
	if err := q.write.QueryRowContext(ctx, query("TriggerFiringGet"), sql.Named("key", params.Key),
		sql.Named("delivery_id", params.DeliveryID)).Scan(&id); err != nil {
		return "", false, fmt.Errorf("trigger %s: reading the claim of delivery %s: %w", params.Key, params.DeliveryID, err)
	}
	return id, false, nil
}

// TriggerFiringGet implements store.Queries.
func (q *queries) TriggerFiringGet(ctx context.Context, key, deliveryID string) (string, bool, error) {
	var id string
	err := q.read.QueryRowContext(ctx, query("TriggerFiringGet"), sql.Named("key", key), sql.Named("delivery_id", deliveryID)).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("trigger %s: reading the claim of delivery %s: %w", key, deliveryID, err)
	}
	return id, true, nil
}

// TriggerStateGet implements store.Queries.
func (q *queries) TriggerStateGet(ctx context.Context, key string) (store.TriggerState, error) {
	st, err := scanTriggerState(q.read.QueryRowContext(ctx, query("TriggerStateGet"), sql.Named("key", key)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.TriggerState{Key: key}, nil
	}
	if err != nil {
		return store.TriggerState{}, fmt.Errorf("trigger %s: reading its state: %w", key, err)
	}
	return *st, nil
}

// TriggerStateList implements store.Queries.
func (q *queries) TriggerStateList(ctx context.Context) ([]store.TriggerState, error) {
	out, err := listRows(ctx, q, "TriggerStateList", scanTriggerState)
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
	if _, err := q.write.ExecContext(ctx, query("TriggerPauseSet"), sql.Named("key", params.Key), sql.Named("paused", params.Paused),
		sql.Named("by", params.By), sql.Named("at", formatTime(at))); err != nil {
		return fmt.Errorf("trigger %s: setting paused=%v: %w", params.Key, params.Paused, err)
	}
	return nil
}

// TriggerCursorSet implements store.Queries.
func (q *queries) TriggerCursorSet(ctx context.Context, key string, cursor []byte) error {
	var c any
	if cursor != nil {
		c = cursor
	}
	if _, err := q.write.ExecContext(ctx, query("TriggerCursorSet"), sql.Named("key", key), sql.Named("cursor", c),
		sql.Named("now", formatTime(q.nowUTC()))); err != nil {
		return fmt.Errorf("trigger %s: saving its cursor: %w", key, err)
	}
	return nil
}

// TriggerFiredSet implements store.Queries.
func (q *queries) TriggerFiredSet(ctx context.Context, params store.TriggerFiredParams) error {
	if _, err := q.write.ExecContext(ctx, query("TriggerFiredSet"), sql.Named("key", params.Key),
		sql.Named("fired_at", formatTimePtr(params.FiredAt)), sql.Named("error", params.Error), sql.Named("looked_at", formatTimePtr(params.LookedAt)),
		sql.Named("now", formatTime(q.nowUTC()))); err != nil {
		return fmt.Errorf("trigger %s: recording its last firing: %w", params.Key, err)
	}
	return nil
}

func scanTriggerState(row rowScanner) (*store.TriggerState, error) {
	var (
		st                          store.TriggerState
		pausedAt, firedAt, lookedAt sql.NullString
		updatedAt                   string
		cursor                      []byte
	)
	if err := row.Scan(&st.Key, &st.Paused, &st.PausedBy, &pausedAt, &cursor, &firedAt, &st.LastError, &lookedAt, &updatedAt); err != nil {
		return nil, err
	}
	var err error
	if st.PausedAt, err = parseTimePtr(pausedAt); err != nil {
		return nil, err
	}
	if st.LastFiredAt, err = parseTimePtr(firedAt); err != nil {
		return nil, err
	}
	if st.LookedAt, err = parseTimePtr(lookedAt); err != nil {
		return nil, err
	}
	if st.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return nil, err
	}
	if cursor != nil {
		st.Cursor = append([]byte{}, cursor...)
	}
	return &st, nil
}
