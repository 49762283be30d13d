package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/store"
)

// LeaseAcquire gives the lease on key to holder when it is free, already
// holder's, or held by a stage that has ended (or no longer exists), in one
// conditional statement, so concurrent callers never both get it. It then
// reads the holder back and says whether that is holder.
func (q *queries) LeaseAcquire(ctx context.Context, key string, holder store.LeaseHolder) (store.LeaseHolder, bool, error) {
	if _, err := q.write.ExecContext(ctx, query("LeaseAcquire"), sql.Named("key", key), sql.Named("execution_id", holder.ExecutionID),
		sql.Named("stage", holder.Stage), sql.Named("now", formatTime(q.nowUTC()))); err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: taking it for execution %s stage %s: %w", key, holder.ExecutionID, holder.Stage, err)
	}
	var cur store.LeaseHolder
	var at string
	if err := q.write.QueryRowContext(ctx, query("LeaseHolder"), sql.Named("key", key)).Scan(&cur.ExecutionID, &cur.Stage, &at); err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: reading its holder: %w", key, err)
	}
	var err error
	if cur.AcquiredAt, err = parseTime(at); err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: %w", key, err)
	}
	return cur, cur.ExecutionID == holder.ExecutionID && cur.Stage == holder.Stage, nil
}

// LeaseGet implements store.Queries.
func (q *queries) LeaseGet(ctx context.Context, key string) (store.LeaseHolder, bool, error) {
	var cur store.LeaseHolder
	var at string
	err := q.read.QueryRowContext(ctx, query("LeaseGet"), sql.Named("key", key)).Scan(&cur.ExecutionID, &cur.Stage, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.LeaseHolder{}, false, nil
	}
	if err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: reading its holder: %w", key, err)
	}
	if cur.AcquiredAt, err = parseTime(at); err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: %w", key, err)
	}
	return cur, true, nil
}
