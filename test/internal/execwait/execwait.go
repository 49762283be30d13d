// Package execwait waits, in the suites that run the real server, for an
// execution to reach a state.
package execwait

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

// For polls execution id through c until cond holds and returns it. After
// within it fails t, saying what it waited for and the last state seen,
// as describe puts it (nil: status, reason and stages).
func For(t testing.TB, ctx context.Context, c *client.Client, id string, within time.Duration, what string,
	cond func(*model.Execution) bool, describe func(*model.Execution) string) *model.Execution {
	t.Helper()
	if describe == nil {
		describe = Describe
	}
	deadline := time.Now().Add(within)
	var last *model.Execution
	for time.Now().Before(deadline) {
		e, err := c.Execution(ctx, id)
		if err == nil {
			last = e
			if cond(e) {
				return e
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("execution %s: waited %s for it %s; last seen: %s", id, within, what, describe(last))
	return nil
}

// Describe is an execution's status, reason and stages on one line.
func Describe(e *model.Execution) string {
	if e == nil {
		return "<nothing>"
	}
	s := string(e.Status)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	for _, st := range e.Stages {
		s += fmt.Sprintf("; stage %s %s", st.Name, st.Status)
		if st.Reason != "" {
			s += " (" + st.Reason + ")"
		}
	}
	return s
}
