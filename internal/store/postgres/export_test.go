package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Pool is the store's pool, for tests that look past its methods.
func Pool(s *Store) *pgxpool.Pool { return s.pool }

// Query is the text of a named query, for tests that explain it.
func Query(name string) string { return query(name) }
