package auth

import "errors"

// ErrUnauthenticated: the request carries no valid credential.
var ErrUnauthenticated = errors.New("not logged in")

// ErrForbidden: the caller is known but holds no grant for the action.
var ErrForbidden = errors.New("forbidden")
