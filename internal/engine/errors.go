package engine

import (
	"errors"

	"github.com/gennaker/gennaker/internal/stage"
)

// ErrNotWaiting: an approve or reject named an execution with no stage waiting for one.
var ErrNotWaiting = errors.New("no stage is waiting for a judgment")

// ErrFinished: the execution already ended, so it cannot be canceled or judged.
var ErrFinished = errors.New("execution already finished")

// ErrBadRequest: the request names something wrong (a parameter, a pipeline); the message says what.
var ErrBadRequest = errors.New("bad request")

// ErrNotControllable: a promote, abort or retry named a stage that cannot
// take it now (not a running canary, or not failed); the message says why.
// It is the stage package's, which decides it for promote and abort.
var ErrNotControllable = stage.ErrNotControllable
