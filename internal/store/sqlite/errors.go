package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gennaker/gennaker/internal/store"
)

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isDuplicate reports a primary key or unique constraint violation.
func isDuplicate(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return true
	}
	return false
}

// isUniqueIndex reports a unique index violation other than the primary
// key's, such as a second active token with the same name.
func isUniqueIndex(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKey reports a foreign key violation (the parent row is missing).
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// busy marks an error from a lock held too long by another writer as
// store.ErrBusy, keeping SQLite's words.
func busy(err error) error {
	if c := sqliteCode(err) & 0xff; c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
		return fmt.Errorf("%w (%v)", store.ErrBusy, err)
	}
	return err
}
