package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// dbtx is what *pgxpool.Pool and pgx.Tx share.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// queries implements store.Queries once for both the Store and a Tx: on
// the Store, db is the pool (each statement its own transaction); in a Tx
// it is the transaction. pgx prepares and caches each statement per
// connection by itself.
type queries struct {
	db  dbtx
	now func() time.Time
	// inTx is set in a transaction; begin is set on the Store.
	inTx  bool
	begin func(ctx context.Context, fn func(q *queries) error) error
	// held, in a transaction, keeps its event and change inserts until
	// it commits (held_logs.go).
	held *heldLogs
}

// atomic runs fn with queries bound to one transaction: the current one in
// a Tx, a new one on the Store.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.inTx {
		return fn(q)
	}
	return q.begin(ctx, fn)
}

// beginSnapshot begins a transaction whose statements all read one
// snapshot (READ COMMITTED gives each statement its own).
const beginSnapshot = "begin isolation level repeatable read, read only"

// snapshot runs fn with queries whose statements read one snapshot, so a
// read of several statements (executions, then their stages) never mixes
// a state from before a commit with one from after it: the current
// transaction in a Tx (whose row locks keep what it reads), else a
// read-only REPEATABLE READ transaction on one pooled connection.
func (q *queries) snapshot(ctx context.Context, fn func(q *queries) error) error {
	pool, ok := q.db.(*pgxpool.Pool)
	if q.inTx || !ok {
		return fn(q)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("a connection for a consistent read: %w", err)
	}
	t := &pipeTx{conn: conn, beginSQL: beginSnapshot}
	defer t.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // it only read
	return fn(&queries{db: t, now: q.now, inTx: true})
}

// nowUTC is the injected clock, in UTC, at the store's precision.
func (q *queries) nowUTC() time.Time { return q.now().UTC().Truncate(time.Microsecond) }

// listRows runs the query name with args and returns its rows, each read
// by scan. The caller wraps the error with what it was listing.
func listRows[T any](ctx context.Context, q *queries, name string, scan func(pgx.Row) (*T, error), args pgx.NamedArgs) ([]T, error) {
	rows, err := q.db.Query(ctx, query(name), args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
