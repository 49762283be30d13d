package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// dbtx is what *sql.DB and *sql.Tx share.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Queries once for both the Store and a Tx: on the
// Store, read is the reader pool and write the writer pool; in a Tx both are
// the transaction.
type queries struct {
	read  dbtx
	write dbtx
	now   func() time.Time
	// inTx is set in a transaction; begin is set on the Store.
	inTx  bool
	begin func(ctx context.Context, fn func(q *queries) error) error
	// readTx, set on the Store, runs fn in a read transaction on a
	// reader connection: its statements see one snapshot.
	readTx func(ctx context.Context, fn func(q *queries) error) error
}

// snapshot runs fn with queries that read one snapshot: the current
// transaction in a Tx, a read transaction on the Store. A read of several
// statements (an execution, then its stages) then never mixes a state
// from before a commit with one from after it.
func (q *queries) snapshot(ctx context.Context, fn func(q *queries) error) error {
	if q.inTx || q.readTx == nil {
		return fn(q)
	}
	return q.readTx(ctx, fn)
}

// atomic runs fn with queries bound to one transaction: the current one in a
// Tx, a new one on the Store.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.inTx {
		return fn(q)
	}
	return q.begin(ctx, fn)
}

// nowUTC is the injected clock, in UTC.
func (q *queries) nowUTC() time.Time { return q.now().UTC() }

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// listRows runs the read query name with args and returns its rows, each
// read by scan. The caller wraps the error with what it was listing.
func listRows[T any](ctx context.Context, q *queries, name string, scan func(rowScanner) (*T, error), args ...any) ([]T, error) {
	rows, err := q.read.QueryContext(ctx, query(name), args...)
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
