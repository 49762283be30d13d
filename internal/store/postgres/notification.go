package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// NotificationList returns every notification by name.
func (q *queries) NotificationList(ctx context.Context) ([]model.Notification, error) {
	return listSpecs[model.Notification](ctx, q, model.KindNotification, nil)
}

// NotificationGet returns one notification; store.ErrNotFound if none.
func (q *queries) NotificationGet(ctx context.Context, name string) (*model.Notification, error) {
	return getSpec[model.Notification](ctx, q, model.KindNotification, name)
}

// NotifyCursor implements store.NotificationQueries.
func (q *queries) NotifyCursor(ctx context.Context) (int64, bool, error) {
	var id int64
	err := q.db.QueryRow(ctx, query("NotifyCursorGet")).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the notification cursor: %w", err)
	}
	return id, true, nil
}

// NotifyDispatch implements store.NotificationQueries. The cursor's row
// lock orders concurrent dispatchers: the second one's guarded move finds
// the cursor moved and changes nothing.
func (q *queries) NotifyDispatch(ctx context.Context, p store.NotifyDispatchParams) (int, error) {
	inserted := 0
	err := q.atomic(ctx, func(q *queries) error {
		inserted = 0
		name := "NotifyCursorMove"
		if p.From < 0 {
			name = "NotifyCursorInit"
		}
		tag, err := q.db.Exec(ctx, query(name), pgx.NamedArgs{"from": p.From, "to": p.To})
		if err != nil {
			return fmt.Errorf("move the notification cursor: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("the notification cursor is not at %d: another dispatcher moved it: %w", p.From, store.ErrConflict)
		}
		now := q.nowUTC()
		for _, d := range p.Deliveries {
			next := now
			if !d.NextAt.IsZero() {
				next = d.NextAt
			}
			tag, err := q.db.Exec(ctx, query("DeliveryInsert"), pgx.NamedArgs{
				"id": d.ID, "notification": d.Notification, "event_id": d.EventID, "pipeline": d.Pipeline,
				"event": mustJSON(d.Event), "next_at": next, "created_at": now,
			})
			if err != nil {
				return fmt.Errorf("insert delivery %s: %w", d.ID, err)
			}
			inserted += int(tag.RowsAffected())
		}
		return nil
	})
	return inserted, err
}

// DeliveryClaim implements store.NotificationQueries.
func (q *queries) DeliveryClaim(ctx context.Context, p store.DeliveryClaimParams) ([]store.Delivery, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 10
	}
	var due bool
	if err := q.db.QueryRow(ctx, query("DeliveryDue"), pgx.NamedArgs{"now": p.Now}).Scan(&due); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if !due {
		return nil, nil
	}
	out, err := listRows(ctx, q, "DeliveryClaim", scanDelivery, pgx.NamedArgs{
		"claimant": p.Claimant, "now": p.Now, "until": p.Until, "limit": limit,
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// DeliveryFinish implements store.NotificationQueries.
func (q *queries) DeliveryFinish(ctx context.Context, p store.DeliveryFinishParams) error {
	next := p.NextAt
	if next.IsZero() {
		next = p.At
	}
	tag, err := q.db.Exec(ctx, query("DeliveryFinish"), pgx.NamedArgs{
		"id": p.ID, "claimant": p.Claimant, "status": string(p.Status), "next_at": next, "error": p.Error, "at": p.At,
	})
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", p.ID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("delivery %s is not pending and claimed by %s: %w", p.ID, p.Claimant, store.ErrConflict)
	}
	return nil
}

// DeliveryReleaseClaims implements store.NotificationQueries.
func (q *queries) DeliveryReleaseClaims(ctx context.Context) (int64, error) {
	tag, err := q.db.Exec(ctx, query("DeliveryReleaseClaims"))
	if err != nil {
		return 0, fmt.Errorf("release delivery claims: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeliveryDeleteBefore implements store.NotificationQueries.
func (q *queries) DeliveryDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, query("DeliveryDeleteBefore"), pgx.NamedArgs{"before": before})
	if err != nil {
		return 0, fmt.Errorf("delete deliveries before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// DeliveryList implements store.NotificationQueries.
func (q *queries) DeliveryList(ctx context.Context, p store.DeliveryListParams) ([]store.Delivery, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := listRows(ctx, q, "DeliveryList", scanDelivery, pgx.NamedArgs{"notification": p.Notification, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// NotifyStats implements store.NotificationQueries.
func (q *queries) NotifyStats(ctx context.Context) ([]store.NotifyStats, error) {
	stats, err := listRows(ctx, q, "NotifyStats", func(r pgx.Row) (*store.NotifyStats, error) {
		var s store.NotifyStats
		var last *time.Time
		if err := r.Scan(&s.Notification, &s.Pending, &s.Failing, &s.Sent, &s.Dead, &last); err != nil {
			return nil, err
		}
		s.LastSent = utcPtr(last)
		return &s, nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("sum deliveries: %w", err)
	}
	type lastError struct {
		name, err string
		at        *time.Time
	}
	errs, err := listRows(ctx, q, "NotifyLastErrors", func(r pgx.Row) (*lastError, error) {
		var e lastError
		return &e, r.Scan(&e.name, &e.err, &e.at)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("read the last delivery errors: %w", err)
	}
	for i := range stats {
		for _, e := range errs {
			if e.name == stats[i].Notification {
				stats[i].LastError, stats[i].LastErrorAt = e.err, utcPtr(e.at)
			}
		}
	}
	return stats, nil
}

func scanDelivery(r pgx.Row) (*store.Delivery, error) {
	var d store.Delivery
	var event []byte
	var status string
	if err := r.Scan(&d.ID, &d.Notification, &d.EventID, &d.Pipeline, &event, &status, &d.Attempts, &d.NextAt,
		&d.ClaimedBy, &d.ClaimedUntil, &d.LastError, &d.TriedAt, &d.CreatedAt, &d.SentAt); err != nil {
		return nil, err
	}
	d.Status = store.DeliveryStatus(status)
	if err := json.Unmarshal(event, &d.Event); err != nil {
		return nil, fmt.Errorf("decode the event of delivery %s: %w", d.ID, err)
	}
	d.NextAt, d.CreatedAt = utc(d.NextAt), utc(d.CreatedAt)
	d.ClaimedUntil, d.TriedAt, d.SentAt = utcPtr(d.ClaimedUntil), utcPtr(d.TriedAt), utcPtr(d.SentAt)
	return &d, nil
}
