package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a config document.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	// Object names the document, such as `Pipeline "release"`; empty when the
	// document could not be identified.
	Object string
	// Field is the path of the field in the document, such as
	// spec.stages[1].wait.duration; empty for the document as a whole.
	Field string
	// Message says what is wrong and how to fix it.
	Message string
}

// Error formats the problem on one line:
// file:line:column: Object: field: message.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors is every problem found in one load, sorted by file and position.
// Loading functions return it as *Errors; check with errors.As.
type Errors struct {
	List []Error
}

// Error formats one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, err := range e.List {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, err := range e.List {
		errs[i] = err
	}
	return errs
}

// sort orders problems by file, line, column, then text, dropping exact repeats.
func (e *Errors) sort() {
	slices.SortStableFunc(e.List, func(a, b Error) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Object, b.Object),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Message, b.Message),
		)
	})
	e.List = slices.Compact(e.List)
}

// err returns e as an error, or nil when it holds no problem.
func (e *Errors) err() error {
	if len(e.List) == 0 {
		return nil
	}
	e.sort()
	return e
}

// ConfigErrors lists the problems one per entry (the API returns them as a list).
func (e *Errors) ConfigErrors() []string {
	out := make([]string, len(e.List))
	for i, err := range e.List {
		out[i] = err.Error()
	}
	return out
}
