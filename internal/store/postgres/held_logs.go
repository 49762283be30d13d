package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// heldLogs are a transaction's appends to the audit chain and inserts into
// the commit-ordered logs (events and changes), held back until it commits
// and then sent in the COMMIT's round trip (pipe_tx.go, commit_order.go,
// audit.go): the first audit statement takes the chain's lock and the
// first log insert the commit-order lock, so a transaction holds them for
// that round trip and its commit, whatever it wrote when. The audit
// statements go first in every transaction, so the two locks are always
// taken in the same order and two transactions cannot deadlock on them.
type heldLogs struct {
	first, logs []heldStatement
}

type heldStatement struct {
	name string
	args pgx.NamedArgs
	what string // for an error
}

// hold queues the insert named name with args; what names it in an error.
func (h *heldLogs) hold(name string, args pgx.NamedArgs, what string) {
	h.logs = append(h.logs, heldStatement{name, args, what})
}

// holdFirst queues the statement named name to go before every log insert.
func (h *heldLogs) holdFirst(name string, args pgx.NamedArgs, what string) {
	h.first = append(h.first, heldStatement{name, args, what})
}

// statements are the held statements in the order they are sent: the
// audit's first. A nil heldLogs holds none.
func (h *heldLogs) statements() []heldStatement {
	if h == nil {
		return nil
	}
	return append(append([]heldStatement(nil), h.first...), h.logs...)
}

// queue adds the held statements to b (pipeTx.commitWith sends them with
// the COMMIT).
func (h *heldLogs) queue(b *pgx.Batch) {
	for _, st := range h.statements() {
		if st.args == nil {
			b.Queue(query(st.name))
		} else {
			b.Queue(query(st.name), st.args)
		}
	}
}

// check reads the held statements' results from br, in the order queue
// added them. An error names the one that failed.
func (h *heldLogs) check(br pgx.BatchResults) error {
	for _, st := range h.statements() {
		if _, err := br.Exec(); err != nil {
			if st.name == "AuditInsert" {
				err = auditInsertError(err)
			}
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return nil
}
