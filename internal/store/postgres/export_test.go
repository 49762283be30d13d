package postgres

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gennaker/gennaker/internal/store"
)

// Pool is the store's pool, for tests that look past its methods.
func Pool(s *Store) *pgxpool.Pool { return s.pool }

// Query is the text of a named query, for tests that explain it.
func Query(name string) string { return query(name) }

// PgxTx is the pgx.Tx of a transaction of s, as River sees it.
func PgxTx(s *Store, t store.Tx) (pgx.Tx, bool) { return s.pgxTx(t) }
