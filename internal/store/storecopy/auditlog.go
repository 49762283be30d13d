package storecopy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

var _ audit.Lister = auditLog{}

// auditLog reads the copy's audit entries inside the copy's transaction,
// for audit.VerifyChain. It reads a page after AfterID, in ID order; the
// other filters of AuditListParams are not for verification and are
// refused.
type auditLog struct{ db pgx.Tx }

// AuditList implements audit.Lister.
func (l auditLog) AuditList(ctx context.Context, p store.AuditListParams) ([]model.AuditEntry, error) {
	if p.Actor != "" || p.Application != "" || !p.Since.IsZero() || p.Newest {
		return nil, fmt.Errorf("storecopy reads the audit log in pages by ID only")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	// detail::text is the document exactly as stored (json keeps its text).
	rows, err := l.db.Query(ctx, `
		SELECT id, time, actor, source, action, object, application, outcome, detail::text, prev_hash, hash
		FROM audit WHERE id > $1 ORDER BY id LIMIT $2`, p.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the copy's audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.AuditEntry, error) {
		var e model.AuditEntry
		var action, outcome string
		var detail *string
		err := r.Scan(&e.ID, &e.Time, &e.Actor, &e.Source, &action, &e.Object, &e.Application, &outcome, &detail, &e.PrevHash, &e.Hash)
		e.Action, e.Outcome, e.Time = model.AuditAction(action), model.AuditOutcome(outcome), e.Time.UTC()
		if detail != nil {
			e.Detail = json.RawMessage(*detail)
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the copy's audit log: %w", err)
	}
	return entries, nil
}
