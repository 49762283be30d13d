package store

import "errors"

// ErrNotFound is returned when the named object does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a guarded write finds the row in another state
// than expected (someone else moved it on), or an insert finds a duplicate.
var ErrConflict = errors.New("conflict: the object changed or already exists")
