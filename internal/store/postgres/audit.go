package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// AuditAppend appends e to the hash-chained audit log. It sets e.Time (now
// when zero) to UTC at model.AuditTimePrecision.
//
// The append is two statements in one round trip: the chain's advisory
// lock (AuditLock), then an INSERT that reads the head and computes the
// hash itself (AuditInsert), so no round trip is spent under the lock
// reading the head. The lock is taken before the head is read, not left
// to the audit_chain trigger: an identity value is drawn before any BEFORE
// trigger fires, so under the trigger's lock alone two appends could take
// IDs in one order and join the chain in the other. Held to commit, the
// lock makes ID order chain order and commit order; the trigger then only
// catches a bug (ErrConflict).
//
// In a transaction the append is held until the commit and sent first in
// the commit's batch (held_logs.go, pipe_tx.go), so appends from every
// replica queue on the lock while the server runs that batch only; e.ID,
// e.PrevHash and e.Hash are then left unset (read the entry back with
// AuditList). Alone, it runs in a transaction of its own and sets them.
func (q *queries) AuditAppend(ctx context.Context, e *model.AuditEntry) error {
	what := fmt.Sprintf("append audit entry %s by %s", e.Action, e.Actor)
	args, err := q.auditArgs(e)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if q.held != nil {
		q.held.holdFirst("AuditLock", nil, what)
		q.held.holdFirst("AuditInsert", args, what)
		e.ID, e.PrevHash, e.Hash = 0, "", ""
		return nil
	}
	err = q.begin(ctx, func(q *queries) error {
		b := &pgx.Batch{}
		b.Queue(query("AuditLock"))
		b.Queue(query("AuditInsert"), args)
		res := q.db.SendBatch(ctx, b)
		defer res.Close()
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("lock the audit chain: %w", err)
		}
		if err := res.QueryRow().Scan(&e.ID, &e.PrevHash, &e.Hash); err != nil {
			return auditInsertError(err)
		}
		return res.Close()
	})
	if err != nil {
		e.ID, e.PrevHash, e.Hash = 0, "", ""
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// auditArgs sets e.Time as stored and returns AuditInsert's arguments,
// with the tail of e's canonical JSON for the hash.
func (q *queries) auditArgs(e *model.AuditEntry) (pgx.NamedArgs, error) {
	detail, err := store.CompactAuditDetail(e.Detail)
	if err != nil {
		return nil, err
	}
	if e.Time.IsZero() {
		e.Time = q.nowUTC()
	}
	e.Time = e.Time.UTC().Truncate(model.AuditTimePrecision)
	tail, err := e.ChainTail()
	if err != nil {
		return nil, err
	}
	return pgx.NamedArgs{
		"time":        e.Time,
		"actor":       e.Actor,
		"source":      e.Source,
		"action":      string(e.Action),
		"object":      e.Object,
		"application": e.Application,
		"outcome":     string(e.Outcome),
		"detail":      detail,
		"tail":        tail,
	}, nil
}

// auditInsertError explains a failed AuditInsert.
func auditInsertError(err error) error {
	if chainRefused(err) {
		return fmt.Errorf("%w: another entry was appended after the same one (appends are not serialized: a driver bug)", store.ErrConflict)
	}
	return fmt.Errorf("%w (outcome must be ok, refused or failed)", err)
}

// chainRefused reports the audit_chain trigger's refusal of an entry that
// does not follow the last one.
func chainRefused(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && strings.HasPrefix(e.Message, "audit chain:")
}

// NULL when there is none. The column is json, not jsonb, so this text is
// kept as it is (key order, numbers) and the entry hashes the same when
// read back.

// AuditList returns entries matching params in ascending ID order, through
// the query whose index fits the filters.
func (q *queries) AuditList(ctx context.Context, params store.AuditListParams) ([]model.AuditEntry, error) {
	limit := params.PageSize()
	args := pgx.NamedArgs{"after_id": params.AfterID, "since": nil, "limit": limit}
	if !params.Since.IsZero() {
		args["since"] = params.Since
	}
	name := "AuditList"
	switch {
	case params.Actor != "":
		name = "AuditListByActor"
		args["actor"], args["application"] = params.Actor, params.Application
	case params.Application != "":
		name = "AuditListByApplication"
		args["application"] = params.Application
	}
	if params.Newest {
		name += "Newest"
	}
	entries, err := listRows(ctx, q, name, scanAudit, args)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return entries, nil
}

func scanAudit(row pgx.Row) (*model.AuditEntry, error) {
	var (
		e      model.AuditEntry
		detail []byte
	)
	if err := row.Scan(&e.ID, &e.Time, &e.Actor, &e.Source, &e.Action, &e.Object, &e.Application,
		&e.Outcome, &detail, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.Time = utc(e.Time)
	if detail != nil {
		e.Detail = json.RawMessage(detail)
	}
	return &e, nil
}
