// Package storecopy moves a team's data from the embedded SQLite store to a
// PostgreSQL store with nothing lost: `gennaker store copy`.
//
// It works at the SQL level, apart from the stores' query methods: the
// PostgreSQL schema (after postgres.Migrate) says which tables to copy, in
// which order (foreign keys first) and how to convert each column from
// SQLite's storage (times as text, flags as 0/1, JSON as text) to its
// PostgreSQL type. Every row goes over in one PostgreSQL transaction, with
// COPY, and the transaction commits only when the row counts match and the
// audit chain verifies on the copy.
//
// What is not copied: River's jobs (its river_* tables). A stage that was
// running or waiting keeps its timer (wake_at) but loses its worker's claim
// and its queued mark, so the new server's due scan gives it a new job.
// gennaker_migration is the target's own.
package storecopy
