// Package postgres is gennaker's store on PostgreSQL, for teams that run
// several servers against one database: the schema (migrations/*.sql,
// embedded) and Migrate, which brings a database up to date under an
// advisory lock so that several servers can start at once, and Store, the
// store.Store whose queries (queries/*.sql, named as in the SQLite store)
// run through pgx's native API; Open does both.
//
// The schema is the SQLite store's (internal/store/sqlite/migrations) in
// PostgreSQL's idioms: timestamptz for times (microsecond precision, the
// contract on both stores), jsonb for JSON documents the store parses and
// json for those it hands back as bytes (a stage's state, the audit detail,
// whose exact text the audit chain hashes), boolean for flags,
// identity columns for IDs, PL/pgSQL trigger functions for the append-only
// event and audit tables. TestSchemaMatchesSQLite keeps the two in step.
//
// gennaker's role needs no superuser rights: it owns its database (CREATE
// DATABASE gennaker OWNER gennaker) and creates its tables in the public
// schema. River's tables come from River's own migrations for its pgx
// driver (riverpgxv5), applied after gennaker's under the same lock.
//
// Concurrency: transactions run at READ COMMITTED; guarded writes (a
// status or version in the WHERE), the execution's row lock
// (Tx.ExecutionLock) and conditional upserts (leases, claims) give the
// store's promises, and InTx runs a transaction again when PostgreSQL
// aborts it for a deadlock or a serialization failure. Change and event
// IDs are kept in commit order by an advisory lock (commit_order.go), and
// audit appends by the audit chain's.
package postgres
