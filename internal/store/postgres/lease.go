package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// LeaseAcquire gives the lease on key to holder when it is free, already
// holder's, or held by a stage that has ended (or no longer exists), in one
// conditional statement, so of concurrent callers exactly one gets it. The
// statement returns the row when it wrote it; when it did not, the caller
// lost, and LeaseHolder reads the holder (a new snapshot under READ
// COMMITTED, so it sees the winner that made this caller lose).
func (q *queries) LeaseAcquire(ctx context.Context, key string, holder store.LeaseHolder) (store.LeaseHolder, bool, error) {
	cur, err := scanLease(q.db.QueryRow(ctx, query("LeaseAcquire"), pgx.NamedArgs{
		"key":          key,
		"execution_id": holder.ExecutionID,
		"stage":        holder.Stage,
		"now":          q.nowUTC(),
	}))
	switch {
	case err == nil:
		return cur, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: taking it for execution %s stage %s: %w", key, holder.ExecutionID, holder.Stage, err)
	}
	cur, err = scanLease(q.db.QueryRow(ctx, query("LeaseHolder"), pgx.NamedArgs{"key": key}))
	if err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: reading its holder: %w", key, err)
	}
	return cur, cur.ExecutionID == holder.ExecutionID && cur.Stage == holder.Stage, nil
}

// LeaseGet implements store.Queries.
func (q *queries) LeaseGet(ctx context.Context, key string) (store.LeaseHolder, bool, error) {
	cur, err := scanLease(q.db.QueryRow(ctx, query("LeaseGet"), pgx.NamedArgs{"key": key}))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.LeaseHolder{}, false, nil
	}
	if err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: reading its holder: %w", key, err)
	}
	return cur, true, nil
}

func scanLease(row pgx.Row) (store.LeaseHolder, error) {
	var h store.LeaseHolder
	if err := row.Scan(&h.ExecutionID, &h.Stage, &h.AcquiredAt); err != nil {
		return store.LeaseHolder{}, err
	}
	h.AcquiredAt = utc(h.AcquiredAt)
	return h, nil
}
