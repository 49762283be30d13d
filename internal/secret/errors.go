package secret

import (
	"errors"

	"github.com/gennaker/gennaker/internal/model"
)

var (
	// ErrNotFound: the variable is not set or the file does not exist.
	ErrNotFound = errors.New("secret not found")
	// ErrEmpty: the variable or file holds nothing.
	ErrEmpty = errors.New("secret is empty")
	// ErrUnreadable: the file exists but cannot be read.
	ErrUnreadable = errors.New("secret is unreadable")
	// ErrTooLarge: the file is larger than the resolver's limit.
	ErrTooLarge = errors.New("secret file is too large")
	// ErrNotResolvable: a kubernetes reference, which only pods read.
	ErrNotResolvable = errors.New("secret is not resolvable by gennaker")
)

// Error is a reference that could not be resolved. Its message names the
// reference and the fix, never the value.
type Error struct {
	Ref model.SecretRef
	// Reason says what happened and what to do.
	Reason string
	// Err is one of the sentinels above (or model.ErrInvalidSecretRef).
	Err error
}

func (e *Error) Error() string { return e.Reason }

func (e *Error) Unwrap() error { return e.Err }
