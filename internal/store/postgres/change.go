package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// ChangeInsert implements store.Queries. In a transaction the insert is
// held until the commit (held_logs.go); either way it takes the
// commit-order lock (commit_order.go).
func (q *queries) ChangeInsert(ctx context.Context, c *store.Change) error {
	if c.At.IsZero() {
		c.At = q.nowUTC()
	}
	args := pgx.NamedArgs{
		"execution_id": c.ExecutionID,
		"application":  c.Application,
		"stage":        c.Stage,
		"status":       c.Status,
		"at":           c.At,
	}
	what := "record a change of execution " + c.ExecutionID
	if q.held != nil {
		q.held.hold("ChangeInsert", args, what)
		return nil
	}
	if _, err := q.db.Exec(ctx, query("ChangeInsert"), args); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ChangeList implements store.Queries.
func (q *queries) ChangeList(ctx context.Context, p store.ChangeListParams) ([]store.Change, error) {
	limit := p.PageSize()
	changes, err := listRows(ctx, q, "ChangeList", scanChange, pgx.NamedArgs{"after_id": p.AfterID, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("list changes after %d: %w", p.AfterID, err)
	}
	return changes, nil
}

// ChangeLast implements store.Queries.
func (q *queries) ChangeLast(ctx context.Context) (int64, error) {
	var id int64
	if err := q.db.QueryRow(ctx, query("ChangeLast")).Scan(&id); err != nil {
		return 0, fmt.Errorf("read the last change: %w", err)
	}
	return id, nil
}

// ChangeDeleteBefore implements store.Queries.
func (q *queries) ChangeDeleteBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, query("ChangeDeleteBefore"), pgx.NamedArgs{"before": before})
	if err != nil {
		return 0, fmt.Errorf("delete changes before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

func scanChange(row pgx.Row) (*store.Change, error) {
	var c store.Change
	if err := row.Scan(&c.ID, &c.ExecutionID, &c.Application, &c.Stage, &c.Status, &c.At); err != nil {
		return nil, err
	}
	c.At = utc(c.At)
	return &c, nil
}
