package engine

import "errors"

// ErrNotWaiting: an approve or reject named an execution with no stage waiting for one.
var ErrNotWaiting = errors.New("no stage is waiting for a judgment")

// ErrFinished: the execution already ended, so it cannot be canceled or judged.
var ErrFinished = errors.New("execution already finished")

// ErrBadRequest: the request names something wrong (a parameter, a pipeline); the message says what.
var ErrBadRequest = errors.New("bad request")
