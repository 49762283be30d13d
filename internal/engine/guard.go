package engine

import (
	"context"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// Guard lets the caller of an action (start, judge, cancel) check it against
// the exact snapshot the action changes and record it in the audit log, both
// inside the action's transaction: a pipeline changed between a check and
// the start can never run unchecked, and an action is never done without
// its audit entry (or recorded without being done).
type Guard struct {
	// Check is called with the execution (for a start: the one about to be
	// created, with its resolved pipeline) and the stage acted on (nil for a
	// start or a cancel). An error aborts the action and is returned as is.
	Check func(exec *model.Execution, stage *model.Stage) error
	// Audit, when set, is appended to the audit log in the same
	// transaction. An empty Object becomes "execution/ID" and an empty
	// Application the execution's.
	Audit *model.AuditEntry
	// Owner, on a start, is recorded as the trigger's owner: who answers
	// for its actor (four eyes compares it).
	Owner string
}

// check runs the action's check against exec and st (a start's: nil).
func (g Guard) check(exec *model.Execution, st *model.Stage) error {
	if g.Check == nil {
		return nil
	}
	return g.Check(exec, st)
}

// record appends the action's audit entry in the action's transaction tx,
// after its other writes and before its logs (Engine.commit): on PostgreSQL
// an append holds the audit chain's lock, which every audited action in
// every replica needs, until tx commits, so it must not be held over the
// action's other writes.
func (g *Guard) record(ctx context.Context, tx store.Tx, exec *model.Execution) error {
	if g.Audit == nil {
		return nil
	}
	e := *g.Audit
	e.Outcome = model.AuditOK
	if e.Object == "" {
		e.Object = "execution/" + exec.ID
	}
	if e.Application == "" {
		e.Application = exec.Application
	}
	if err := tx.AuditAppend(ctx, &e); err != nil {
		return err
	}
	*g.Audit = e
	return nil
}
