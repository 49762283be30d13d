package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// NotificationList returns every notification by name.
func (q *queries) NotificationList(ctx context.Context) ([]model.Notification, error) {
	return listSpecs[model.Notification](ctx, q, model.KindNotification)
}

// NotificationGet returns one notification; store.ErrNotFound if none.
func (q *queries) NotificationGet(ctx context.Context, name string) (*model.Notification, error) {
	return getSpec[model.Notification](ctx, q, model.KindNotification, name)
}

// NotifyCursor implements store.NotificationQueries.
func (q *queries) NotifyCursor(ctx context.Context) (int64, bool, error) {
	var id int64
	err := q.read.QueryRowContext(ctx, query("NotifyCursorGet")).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the notification cursor: %w", err)
	}
	return id, true, nil
}

// NotifyDispatch implements store.NotificationQueries.
func (q *queries) NotifyDispatch(ctx context.Context, p store.NotifyDispatchParams) (int, error) {
	inserted := 0
	err := q.atomic(ctx, func(q *queries) error {
		inserted = 0
		name, args := "NotifyCursorMove", []any{sql.Named("from", p.From), sql.Named("to", p.To)}
		if p.From < 0 {
			name = "NotifyCursorInit"
		}
		res, err := q.write.ExecContext(ctx, query(name), args...)
		if err != nil {
			return fmt.Errorf("move the notification cursor: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("the notification cursor is not at %d: another dispatcher moved it: %w", p.From, store.ErrConflict)
		}
		now := formatTime(q.nowUTC())
		for _, d := range p.Deliveries {
			next := now
			if !d.NextAt.IsZero() {
				next = formatTime(d.NextAt)
			}
			res, err := q.write.ExecContext(ctx, query("DeliveryInsert"),
				sql.Named("id", d.ID), sql.Named("notification", d.Notification), sql.Named("event_id", d.EventID),
				sql.Named("pipeline", d.Pipeline), sql.Named("event", mustJSON(d.Event)),
				sql.Named("next_at", next), sql.Named("created_at", now))
			if err != nil {
				return fmt.Errorf("insert delivery %s: %w", d.ID, err)
			}
			n, _ := res.RowsAffected()
			inserted += int(n)
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
	if err := q.read.QueryRowContext(ctx, query("DeliveryDue"), sql.Named("now", formatTime(p.Now))).Scan(&due); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if !due {
		return nil, nil
	}
	rows, err := q.write.QueryContext(ctx, query("DeliveryClaim"), sql.Named("claimant", p.Claimant),
		sql.Named("now", formatTime(p.Now)), sql.Named("until", formatTime(p.Until)), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// DeliveryFinish implements store.NotificationQueries.
func (q *queries) DeliveryFinish(ctx context.Context, p store.DeliveryFinishParams) error {
	next := p.NextAt
	if next.IsZero() {
		next = p.At
	}
	res, err := q.write.ExecContext(ctx, query("DeliveryFinish"), sql.Named("id", p.ID), sql.Named("claimant", p.Claimant),
		sql.Named("status", string(p.Status)), sql.Named("next_at", formatTime(next)), sql.Named("error", p.Error),
		sql.Named("at", formatTime(p.At)))
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("delivery %s is not pending and claimed by %s: %w", p.ID, p.Claimant, store.ErrConflict)
	}
	return nil
}

// DeliveryReleaseClaims implements store.NotificationQueries.
func (q *queries) DeliveryReleaseClaims(ctx context.Context) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("DeliveryReleaseClaims"))
	if err != nil {
		return 0, fmt.Errorf("release delivery claims: %w", err)
	}
	return res.RowsAffected()
}

// DeliveryDeleteBefore implements store.NotificationQueries.
func (q *queries) DeliveryDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("DeliveryDeleteBefore"), sql.Named("before", formatTime(before)))
	if err != nil {
		return 0, fmt.Errorf("delete deliveries before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}

// DeliveryList implements store.NotificationQueries.
func (q *queries) DeliveryList(ctx context.Context, p store.DeliveryListParams) ([]store.Delivery, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := listRows(ctx, q, "DeliveryList", scanDelivery, sql.Named("notification", p.Notification), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// NotifyStats implements store.NotificationQueries.
func (q *queries) NotifyStats(ctx context.Context) ([]store.NotifyStats, error) {
	stats, err := listRows(ctx, q, "NotifyStats", func(r rowScanner) (*store.NotifyStats, error) {
		var s store.NotifyStats
		var last sql.NullString
		if err := r.Scan(&s.Notification, &s.Pending, &s.Failing, &s.Sent, &s.Dead, &last); err != nil {
			return nil, err
		}
		var err error
		s.LastSent, err = parseTimePtr(last)
		return &s, err
	})
	if err != nil {
		return nil, fmt.Errorf("sum deliveries: %w", err)
	}
	type lastError struct {
		name, err string
		at        sql.NullString
	}
	errs, err := listRows(ctx, q, "NotifyLastErrors", func(r rowScanner) (*lastError, error) {
		var e lastError
		return &e, r.Scan(&e.name, &e.err, &e.at)
	})
	if err != nil {
		return nil, fmt.Errorf("read the last delivery errors: %w", err)
	}
	for i := range stats {
		for _, e := range errs {
			if e.name == stats[i].Notification {
				stats[i].LastError = e.err
				if stats[i].LastErrorAt, err = parseTimePtr(e.at); err != nil {
					return nil, err
				}
			}
		}
	}
	return stats, nil
}

func scanDelivery(r rowScanner) (*store.Delivery, error) {
	var d store.Delivery
	var event, next, created string
	var status string
	var claimedUntil, tried, sent sql.NullString
	if err := r.Scan(&d.ID, &d.Notification, &d.EventID, &d.Pipeline, &event, &status, &d.Attempts, &next,
		&d.ClaimedBy, &claimedUntil, &d.LastError, &tried, &created, &sent); err != nil {
		return nil, err
	}
	d.Status = store.DeliveryStatus(status)
	if err := json.Unmarshal([]byte(event), &d.Event); err != nil {
		return nil, fmt.Errorf("decode the event of delivery %s: %w", d.ID, err)
	}
	var err error
	if d.NextAt, err = parseTime(next); err != nil {
		return nil, err
	}
	if d.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if d.ClaimedUntil, err = parseTimePtr(claimedUntil); err != nil {
		return nil, err
	}
	if d.TriedAt, err = parseTimePtr(tried); err != nil {
		return nil, err
	}
	if d.SentAt, err = parseTimePtr(sent); err != nil {
		return nil, err
	}
	return &d, nil
}
