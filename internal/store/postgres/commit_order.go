package postgres

import (
	"context"
	"fmt"
)

// Change and event IDs are commit-ordered (store.Queries.ChangeList): a
// reader that tails the outbox or the event log by "after the last ID I
// saw" must never find, later, an entry with a smaller ID. SQLite's single
// writer gives this for free. PostgreSQL hands identity values out at
// insert, not at commit: transaction A takes ID 5, B takes ID 6 and
// commits first, a reader lists 6, and when A commits its 5 is behind the
// reader's cursor for good.
//
// So before a transaction inserts a change or an event it takes one
// transaction-level advisory lock (CommitOrderLock), held until it
// commits or rolls back. Such inserts serialize on it: a transaction gets
// its IDs only after every earlier holder has ended, and PostgreSQL makes
// a commit visible before it releases the transaction's locks, so a
// smaller ID is always committed (or gone) before a larger one can be.
// Taking the lock again in the same transaction is cheap and re-entrant.
//
// The price is that writers of changes and events queue behind each other
// from their first such insert to their commit: a transaction should
// insert them last, just before it commits. A deadlock with another lock
// is detected by PostgreSQL and retried by InTx.

// lockCommitOrder takes the commit-order lock for q's transaction; q must
// be bound to one (inside atomic), or the lock would end with the
// statement.
func (q *queries) lockCommitOrder(ctx context.Context) error {
	if _, err := q.db.Exec(ctx, query("CommitOrderLock")); err != nil {
		return fmt.Errorf("take the commit-order lock: %w", err)
	}
	return nil
}
