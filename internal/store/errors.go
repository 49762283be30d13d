package store

import "errors"

// ErrNotFound is returned when the named object does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a guarded write finds the row in another state
// than expected (someone else moved it on), or an insert finds a duplicate.
var ErrConflict = errors.New("conflict: the object changed or already exists")

// ErrBusy is returned when the database stayed locked by another writer
// longer than the store waits (SQLite's busy timeout): nothing was written,
// and the same request can be made again.
var ErrBusy = errors.New("the database is busy (another writer held its lock too long); nothing was changed: try again")
