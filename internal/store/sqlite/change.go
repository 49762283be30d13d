package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// ChangeInsert implements store.Queries.
func (q *queries) ChangeInsert(ctx context.Context, c *store.Change) error {
	if c.At.IsZero() {
		c.At = q.nowUTC()
	}
	_, err := q.write.ExecContext(ctx, query("ChangeInsert"),
		sql.Named("execution_id", c.ExecutionID), sql.Named("application", c.Application),
		sql.Named("stage", c.Stage), sql.Named("status", c.Status), sql.Named("at", formatTime(c.At)))
	if err != nil {
		return fmt.Errorf("record a change of execution %s: %w", c.ExecutionID, err)
	}
	return nil
}

// ChangeList implements store.Queries.
func (q *queries) ChangeList(ctx context.Context, p store.ChangeListParams) ([]store.Change, error) {
	limit := p.PageSize()
	rows, err := q.read.QueryContext(ctx, query("ChangeList"), sql.Named("after_id", p.AfterID), sql.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("list changes after %d: %w", p.AfterID, err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var at string
		if err := rows.Scan(&c.ID, &c.ExecutionID, &c.Application, &c.Stage, &c.Status, &at); err != nil {
			return nil, fmt.Errorf("list changes after %d: %w", p.AfterID, err)
		}
		if c.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("change %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChangeLast implements store.Queries.
func (q *queries) ChangeLast(ctx context.Context) (int64, error) {
	var id int64
	if err := q.read.QueryRowContext(ctx, query("ChangeLast")).Scan(&id); err != nil {
		return 0, fmt.Errorf("read the last change: %w", err)
	}
	return id, nil
}

// ChangeDeleteBefore implements store.Queries.
func (q *queries) ChangeDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.write.ExecContext(ctx, query("ChangeDeleteBefore"), sql.Named("before", formatTime(before)))
	if err != nil {
		return 0, fmt.Errorf("delete changes before %s: %w", before.Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}
