package sqlite

import (
	"context"
	"fmt"
)

// QueueResetOrphans implements store.Store: after a crash on a single node,
// River jobs the dead process left running are made available again and
// its leadership is dropped, in one transaction.
func (s *Store) QueueResetOrphans(ctx context.Context) (int64, error) {
	var n int64
	err := s.atomic(ctx, func(q *queries) error {
		res, err := q.write.ExecContext(ctx, query("QueueResetOrphanedJobs"))
		if err != nil {
			return fmt.Errorf("taking back running jobs: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := q.write.ExecContext(ctx, query("QueueResetLeader")); err != nil {
			return fmt.Errorf("dropping the queue's leadership: %w", err)
		}
		return nil
	})
	return n, err
}
