package render

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits bound one render. A zero field takes its default.
type Limits struct {
	// MaxInputBytes bounds what is read: a chart archive as given (default
	// 10 MiB), or the files of a chart directory or kustomize tree (their
	// total size, same default).
	MaxInputBytes int64
	// MaxUnpackedBytes bounds a chart archive after decompression, nested
	// subchart archives included (default 50 MiB).
	MaxUnpackedBytes int64
	// MaxFiles bounds the number of files in a chart or tree (default 10000).
	MaxFiles int
	// MaxOutputBytes bounds the rendered text and the canonical manifest
	// (default 5 MiB).
	MaxOutputBytes int64
	// MaxObjects bounds the number of objects rendered (default 1000).
	MaxObjects int
	// MaxLoopIterations bounds range iterations plus named-template calls in
	// one Helm render (default 10 million): a template that produces a huge
	// output from a small input fails fast instead of filling memory.
	MaxLoopIterations int64
	// Timeout bounds the render's wall time (default 30 s).
	Timeout time.Duration
}

// Default limits, used for zero fields of [Limits].
const (
	DefaultMaxInputBytes     = 10 << 20
	DefaultMaxUnpackedBytes  = 50 << 20
	DefaultMaxFiles          = 10000
	DefaultMaxOutputBytes    = 5 << 20
	DefaultMaxObjects        = 1000
	DefaultMaxLoopIterations = 10_000_000
	DefaultTimeout           = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = DefaultMaxInputBytes
	}
	if l.MaxUnpackedBytes <= 0 {
		l.MaxUnpackedBytes = DefaultMaxUnpackedBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultMaxObjects
	}
	if l.MaxLoopIterations <= 0 {
		l.MaxLoopIterations = DefaultMaxLoopIterations
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// renderSlots bounds the renders running at once in this process. A render
// that overran its timeout keeps its slot until its goroutine returns (Go
// cannot stop a goroutine from outside), so a stuck input cannot pile up
// goroutines without bound: later renders wait for a slot, then fail.
var renderSlots = make(chan struct{}, 4)

// bounded runs fn in its own goroutine and returns when it does or when the
// timeout or ctx ends, whichever is first. fn gets a context that ends then
// too and should check it (the template ticks and wrapped functions do).
// A panic in fn becomes an error.
func bounded[T any](ctx context.Context, source string, timeout time.Duration, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case renderSlots <- struct{}{}:
	case <-ctx.Done():
		return zero, timeoutError(ctx, source, timeout,
			fmt.Sprintf("all %d render slots are held by earlier renders still running past their timeout", cap(renderSlots)))
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-renderSlots }()
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("%s: %w: the renderer panicked: %v", source, ErrInvalid, r)}
			}
		}()
		v, err := fn(ctx)
		done <- result{v: v, err: err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			// The render noticed the deadline itself: report it as such.
			return zero, timeoutError(ctx, source, timeout, r.err.Error())
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, timeoutError(ctx, source, timeout, "")
	}
}

func timeoutError(ctx context.Context, source string, timeout time.Duration, detail string) error {
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return fmt.Errorf("%s: render canceled: %w", source, context.Cause(ctx))
	}
	msg := fmt.Sprintf("%s: %v: not finished after %s; look for a range over a huge list or a template that includes itself", source, ErrTimeout, timeout)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &wrapped{msg: msg, err: ErrTimeout}
}

// wrapped is an error with its own message that still matches err.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
