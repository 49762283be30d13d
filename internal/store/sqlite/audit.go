package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// AuditAppend appends e to the hash-chained audit log: in one transaction
// (the caller's, inside InTx) it reads the hash of the last entry and
// inserts e chained to it. It sets e.Time (now when zero) to UTC at
// model.AuditTimePrecision, and e.ID, e.PrevHash and e.Hash.
//
// Appends must be serialized or the chain forks (two entries after the same
// one). On SQLite the single writer connection does it: the transaction
// holds the write lock from BEGIN IMMEDIATE to COMMIT, so no append can read
// the head while another is between reading it and committing. A PostgreSQL
// driver must lock the chain head itself before reading it, for example
// with pg_advisory_xact_lock on a constant key in the same transaction; the
// audit_chain trigger then only catches a driver bug (ErrConflict).
func (q *queries) AuditAppend(ctx context.Context, e *model.AuditEntry) error {
	what := fmt.Sprintf("append audit entry %s by %s", e.Action, e.Actor)
	detail, err := store.CompactAuditDetail(e.Detail)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	at := e.Time
	if at.IsZero() {
		at = q.nowUTC()
	}
	at = at.UTC().Truncate(model.AuditTimePrecision)
	err = q.atomic(ctx, func(q *queries) error {
		var prev string
		err := q.write.QueryRowContext(ctx, query("AuditHead")).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read the last entry's hash: %w", err)
		}
		entry := *e
		entry.Time = at
		entry.PrevHash = prev
		entry.Hash = entry.ChainHash(prev)
		var id int64
		err = q.write.QueryRowContext(ctx, query("AuditInsert"),
			sql.Named("time", formatTime(entry.Time)),
			sql.Named("actor", entry.Actor),
			sql.Named("source", entry.Source),
			sql.Named("action", string(entry.Action)),
			sql.Named("object", entry.Object),
			sql.Named("application", entry.Application),
			sql.Named("outcome", string(entry.Outcome)),
			sql.Named("detail", detail),
			sql.Named("prev_hash", entry.PrevHash),
			sql.Named("hash", entry.Hash)).Scan(&id)
		switch {
		case err != nil && strings.Contains(err.Error(), "audit chain:"):
			return fmt.Errorf("%w: another entry was appended after the same one (appends are not serialized: a driver bug)", store.ErrConflict)
		case err != nil:
			return fmt.Errorf("%w (outcome must be ok, refused or failed)", err)
		}
		entry.ID = id
		*e = entry
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// NULL when there is none. Compacting keeps the document (key order,
// numbers), so the entry hashes the same when read back.

// AuditList returns entries matching params in ascending ID order, through
// the query whose index fits the filters.
func (q *queries) AuditList(ctx context.Context, params store.AuditListParams) ([]model.AuditEntry, error) {
	limit := params.PageSize()
	since := ""
	if !params.Since.IsZero() {
		since = formatTime(params.Since)
	}
	name := "AuditList"
	args := []any{sql.Named("after_id", params.AfterID), sql.Named("since", since), sql.Named("limit", limit)}
	switch {
	case params.Actor != "":
		name = "AuditListByActor"
		args = append(args, sql.Named("actor", params.Actor), sql.Named("application", params.Application))
	case params.Application != "":
		name = "AuditListByApplication"
		args = append(args, sql.Named("application", params.Application))
	}
	if params.Newest {
		name += "Newest"
	}
	entries, err := listRows(ctx, q, name, scanAudit, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return entries, nil
}

func scanAudit(row rowScanner) (*model.AuditEntry, error) {
	var (
		e      model.AuditEntry
		t      string
		detail sql.NullString
	)
	if err := row.Scan(&e.ID, &t, &e.Actor, &e.Source, &e.Action, &e.Object, &e.Application,
		&e.Outcome, &detail, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	var err error
	if e.Time, err = parseTime(t); err != nil {
		return nil, fmt.Errorf("audit entry %d: time: %w", e.ID, err)
	}
	e.Detail = nullRaw(detail)
	return &e, nil
}
