package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// heldLogs are a transaction's inserts into the commit-ordered logs (events
// and changes), held back until it commits and then sent in one round trip
// just before the COMMIT (commit_order.go): the first of them takes the
// commit-order lock, so a transaction holds it for that round trip and its
// commit, whatever it inserted when.
type heldLogs struct {
	batch pgx.Batch
	what  []string // per insert, for an error
}

// hold queues the insert named query with args; what names it in an error.
func (h *heldLogs) hold(name string, args pgx.NamedArgs, what string) {
	h.batch.Queue(query(name), args)
	h.what = append(h.what, what)
}

// flush sends the held inserts on db. An error names the insert that
// failed.
func (h *heldLogs) flush(ctx context.Context, db dbtx) error {
	if len(h.what) == 0 {
		return nil
	}
	res := db.SendBatch(ctx, &h.batch)
	defer res.Close()
	for _, what := range h.what {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return res.Close()
}
