package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// heldLogs are a transaction's appends to the audit chain and inserts into
// the commit-ordered logs (events and changes), held back until it commits
// and then sent in one round trip just before the COMMIT (commit_order.go,
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

// flush sends the held statements on db. An error names the one that
// failed.
func (h *heldLogs) flush(ctx context.Context, db dbtx) error {
	all := append(h.first, h.logs...)
	if len(all) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, st := range all {
		if st.args == nil {
			b.Queue(query(st.name))
		} else {
			b.Queue(query(st.name), st.args)
		}
	}
	res := db.SendBatch(ctx, b)
	defer res.Close()
	for _, st := range all {
		if _, err := res.Exec(); err != nil {
			if st.name == "AuditInsert" {
				err = auditInsertError(err)
			}
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return res.Close()
}
