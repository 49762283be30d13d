// Change and event IDs are commit-ordered (store.Queries.ChangeList): a
// reader that tails the outbox or the event log by "after the last ID I
// saw" must never find, later, an entry with a smaller ID. SQLite's single
// writer gives this for free. PostgreSQL hands identity values out at
// insert, not at commit: transaction A takes ID 5, B takes ID 6 and
// commits first, a reader lists 6, and when A commits its 5 is behind the
// reader's cursor for good.
//
// So a transaction takes one transaction-level advisory lock, held until
// it commits or rolls back, in the very statement that inserts a change or
// an event (queries EventInsert and ChangeInsert: INSERT ... SELECT ...
// FROM (SELECT pg_advisory_xact_lock(K)), so the row's identity value is
// drawn after the lock is granted, in one round trip). Such inserts
// serialize on it: a transaction gets its IDs only after every earlier
// holder has ended, and PostgreSQL makes a commit visible before it
// releases the transaction's locks, so a smaller ID is always committed
// (or gone) before a larger one can be. Taking the lock again in the same
// transaction is cheap and re-entrant; outside a transaction the statement
// is its own transaction, and the lock ends with it.
//
// The price is that writers of changes and events queue behind each other
// from their first such insert to their commit: a transaction should
// insert them last, just before it commits (the engine does). A deadlock
// with another lock is detected by PostgreSQL and retried by InTx.
//
// This lock is the throughput ceiling of several replicas (docs/
// benchmarks.md). What would lift it: draw the IDs at commit instead,
// from a deferred constraint trigger that takes the lock, so it is held
// for the commit record alone; the price is that an insert no longer
// knows its ID before the commit.
package postgres
