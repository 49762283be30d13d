package sqlite

import "database/sql"

// WriterDB is the writer pool, for tests that look past the store's
// methods (PRAGMAs, River's tables, rows as an older version wrote them).
func WriterDB(s *Store) *sql.DB { return s.writer }
