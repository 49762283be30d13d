// Package sqlite is gennaker's embedded store: store.Store over one SQLite
// file, using the pure Go driver modernc.org/sqlite.
//
// The file is opened twice. The writer pool has exactly one connection: it
// serves InTx and every write, and is shared with River (NewQueue), whose
// SQLite driver needs a single writer and enqueues jobs inside our
// transactions (on their *sql.Tx). The reader pool has several query_only connections and serves
// reads made on the Store outside a transaction; WAL mode lets them run
// beside the writer.
//
// Concurrent InTx calls share the writer's transaction (group commit,
// group.go): each runs its function in turn inside a savepoint, so its
// failure undoes only its own changes, and one COMMIT stores them all. Each
// call returns after the commit that holds its changes. Under a burst of
// starts this is what lets SQLite's one writer keep up: most of a small
// transaction's time under the lock was its BEGIN and COMMIT.
// A call therefore waits for the members after it (at most 32, joining
// for at most 20 ms): a function given to InTx must not take a lock its
// caller's peers hold across InTx.
//
// Inside InTx every method uses the *sql.Tx. Calling the Store (not the Tx)
// from inside InTx to write would wait for the writer connection the
// transaction holds, forever.
//
// Schema changes live in migrations/*.sql and SQL in queries/*.sql, both
// embedded; Go code names a query ("ExecutionGet") and never builds SQL.
// Times are stored as fixed-width UTC RFC 3339 text with nanoseconds
// (see timeLayout), which sorts as text and reads well in the sqlite shell.
package sqlite
