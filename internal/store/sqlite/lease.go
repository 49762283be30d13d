package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// LeaseAcquire gives the lease on key to holder when it is free, already
// holder's, or held by a stage that has ended (or no longer exists). It
// returns the holder after the call and whether that is holder.
func (q *queries) LeaseAcquire(ctx context.Context, key string, holder store.LeaseHolder) (store.LeaseHolder, bool, error) {
	var cur store.LeaseHolder
	acquired := false
	err := q.atomic(ctx, func(q *queries) error {
		var at, status string
		err := q.write.QueryRowContext(ctx, query("LeaseGet"), sql.Named("key", key)).Scan(&cur.ExecutionID, &cur.Stage, &at, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case cur.ExecutionID == holder.ExecutionID && cur.Stage == holder.Stage:
			acquired = true
			cur.AcquiredAt, err = parseTime(at)
			return err
		case status != "" && !model.StageStatus(status).Terminal():
			cur.AcquiredAt, err = parseTime(at)
			return err // held
		}
		now := q.nowUTC()
		if _, err := q.write.ExecContext(ctx, query("LeaseSet"), sql.Named("key", key), sql.Named("execution_id", holder.ExecutionID),
			sql.Named("stage", holder.Stage), sql.Named("now", formatTime(now))); err != nil {
			return err
		}
		cur, acquired = store.LeaseHolder{ExecutionID: holder.ExecutionID, Stage: holder.Stage, AcquiredAt: now}, true
		return nil
	})
	if err != nil {
		return store.LeaseHolder{}, false, fmt.Errorf("lease %s: %w", key, err)
	}
	return cur, acquired, nil
}
