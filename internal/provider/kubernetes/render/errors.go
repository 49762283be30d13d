package render

import (
	"errors"
	"fmt"
)

var (
	// ErrLimit: an input or output is larger than its [Limits] allow.
	ErrLimit = errors.New("render limit exceeded")
	// ErrTimeout: rendering did not finish within [Limits.Timeout].
	ErrTimeout = errors.New("render timed out")
	// ErrUnsafeInput: the input reaches outside itself (a ../ path, an
	// absolute path, a symlink, a device file) and was refused.
	ErrUnsafeInput = errors.New("unsafe input")
	// ErrRemote: the input refers to something on the network (a remote
	// kustomize base, a URL, a helmCharts generator); gennaker renders only
	// what it was given.
	ErrRemote = errors.New("remote reference not supported")
	// ErrRefused: the input holds content that the options say to refuse
	// (CRDs, Helm hooks) or that gennaker cannot deploy (a library chart).
	ErrRefused = errors.New("refused")
	// ErrInvalid: the input is malformed (not a chart, bad YAML, an object
	// without kind or name, two objects with the same identity).
	ErrInvalid = errors.New("invalid input")
)

// LimitError says which limit was exceeded and by how much.
type LimitError struct {
	// Source is the chart or overlay being rendered.
	Source string
	// What is the quantity limited, such as "chart archive bytes".
	What string
	// Limit is the configured maximum; Got is what was seen (at least).
	Limit, Got int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s: %d exceeds the limit of %d (make the input smaller or raise the limit)",
		e.Source, e.What, e.Got, e.Limit)
}

// Is makes errors.Is(err, ErrLimit) true for a *LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
