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
// Writers of changes and events queue behind each other from their first
// such insert to their commit, so a transaction holds its inserts back and
// sends them in one batch with its COMMIT (held_logs.go, pipe_tx.go): the
// lock is held while the server runs those inserts and the commit, not
// for any round trip of the client's. The price is that an insert does not
// know its row's ID (EventInsert and ChangeInsert do not return it), and
// that an error in one (a bad value) is the commit's. A deadlock with
// another lock is detected by PostgreSQL and retried by InTx.
//
// This lock was the throughput ceiling of several replicas while it was
// held over client round trips (docs/benchmarks.md). Drawing the IDs at commit instead, from a deferred
// constraint trigger that takes the lock and renumbers the transaction's
// rows, holds it for the commit alone but makes each row an insert and an
// update; measured side by side on this 2-core machine (4,000 executions,
// two replicas, interleaved runs) it was no faster than holding the
// inserts back: 46 and 48 s against 40 and 47 s on a loaded machine, where
// taking the lock at each insert took 64 and 66 s.
package postgres
