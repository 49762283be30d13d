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

// AuditAppend appends e to the hash-chained audit log: in one transaction
// (the caller's, inside InTx) it takes the chain's advisory lock (AuditLock),
// reads the hash of the last entry and inserts e chained to it. It sets
// e.Time (now when zero) to UTC at model.AuditTimePrecision, and e.ID,
// e.PrevHash and e.Hash.
//
// The lock is taken before the head is read, not left to the audit_chain
// trigger: an identity value is drawn before any BEFORE trigger fires, so
// under the trigger's lock alone two appends could take IDs in one order and
// join the chain in the other. Held to commit, the lock makes ID order chain
// order and commit order. The trigger then only catches a bug (ErrConflict).
//
// The lock and the head go in one round trip: a batch of two statements,
// so the head's snapshot is taken after the lock is granted (one statement
// doing both would read the head as it was before the wait). Appends from
// every replica queue on this lock, and each round trip under it is paid
// by all of them.
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
		prev, err := q.lockAuditHead(ctx)
		if err != nil {
			return err
		}
		entry := *e
		entry.Time = at
		entry.PrevHash = prev
		entry.Hash = entry.ChainHash(prev)
		var id int64
		err = q.db.QueryRow(ctx, query("AuditInsert"), pgx.NamedArgs{
			"time":        entry.Time,
			"actor":       entry.Actor,
			"source":      entry.Source,
			"action":      string(entry.Action),
			"object":      entry.Object,
			"application": entry.Application,
			"outcome":     string(entry.Outcome),
			"detail":      detail,
			"prev_hash":   entry.PrevHash,
			"hash":        entry.Hash,
		}).Scan(&id)
		switch {
		case chainRefused(err):
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

// lockAuditHead takes the chain's lock and reads the last entry's hash (""
// when there is none) in one round trip.
func (q *queries) lockAuditHead(ctx context.Context) (string, error) {
	b := &pgx.Batch{}
	b.Queue(query("AuditLock"))
	b.Queue(query("AuditHead"))
	res := q.db.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return "", fmt.Errorf("lock the audit chain: %w", err)
	}
	var prev string
	if err := res.QueryRow().Scan(&prev); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("read the last entry's hash: %w", err)
	}
	return prev, res.Close()
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
