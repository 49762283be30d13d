package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// queueStageInsert queues the insert of one stage at position (its index
// in the execution) in b (ExecutionInsert's batch).
func queueStageInsert(b *pgx.Batch, st *model.Stage, position int) {
	args := stageArgs(st)
	args["position"] = position
	args["type"] = string(st.Type)
	b.Queue(query("StageInsert"), args)
}

// StageGet returns one stage of an execution.
func (q *queries) StageGet(ctx context.Context, executionID, name string) (*model.Stage, error) {
	st, err := scanStage(q.db.QueryRow(ctx, query("StageGet"), pgx.NamedArgs{"execution_id": executionID, "name": name}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("stage %q of execution %s: %w", name, executionID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read stage %q of execution %s: %w", name, executionID, err)
	}
	return st, nil
}

// StageUpdate writes every mutable field of params.Stage if its stored
// status is one of params.From and its version is params.Stage.Version, then
// increments the version, stored and in place.
func (q *queries) StageUpdate(ctx context.Context, params store.StageUpdateParams) error {
	what, err := params.Check()
	if err != nil {
		return err
	}
	st := params.Stage
	args := stageArgs(st)
	args["from"] = strs(params.From)
	tag, err := q.db.Exec(ctx, query("StageUpdate"), args)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = q.checkGuarded(ctx, tag, what, fmt.Sprintf("one of %v at version %d", params.From, st.Version),
		query("StageStatus"), pgx.NamedArgs{"execution_id": st.ExecutionID, "name": st.Name})
	if err != nil {
		return err
	}
	st.Version++
	return nil
}

// StageUpdates runs StageUpdate for each of params in one transaction and
// one round trip: the guarded UPDATEs go in one batch, and only a write
// that matched no row costs a second, to say why.
func (q *queries) StageUpdates(ctx context.Context, params []store.StageUpdateParams) error {
	if len(params) == 1 {
		return q.StageUpdate(ctx, params[0])
	}
	whats := make([]string, len(params))
	for i, p := range params {
		what, err := p.Check()
		if err != nil {
			return err
		}
		whats[i] = what
	}
	return q.atomic(ctx, func(q *queries) error {
		b := &pgx.Batch{}
		for _, p := range params {
			args := stageArgs(p.Stage)
			args["from"] = strs(p.From)
			b.Queue(query("StageUpdate"), args)
		}
		br := q.db.SendBatch(ctx, b)
		tags := make([]pgconn.CommandTag, len(params))
		for i := range params {
			tag, err := br.Exec()
			if err != nil {
				return failBatch(br, fmt.Errorf("%s: %w", whats[i], err))
			}
			tags[i] = tag
		}
		if err := br.Close(); err != nil {
			return err
		}
		for i, p := range params {
			st := p.Stage
			if err := q.checkGuarded(ctx, tags[i], whats[i], fmt.Sprintf("one of %v at version %d", p.From, st.Version),
				query("StageStatus"), pgx.NamedArgs{"execution_id": st.ExecutionID, "name": st.Name}); err != nil {
				return err
			}
		}
		for _, p := range params {
			p.Stage.Version++
		}
		return nil
	})
}

// stageArgs binds the key and mutable fields of a stage.
func stageArgs(st *model.Stage) pgx.NamedArgs {
	var judgment any
	if st.Judgment != nil {
		judgment = mustJSON(st.Judgment)
	}
	var claimedBy any
	if st.ClaimedBy != "" {
		claimedBy = st.ClaimedBy
	}
	return pgx.NamedArgs{
		"execution_id": st.ExecutionID,
		"name":         st.Name,
		"status":       string(st.Status),
		"reason":       st.Reason,
		"version":      st.Version,
		"attempt":      st.Attempt,
		"state":        rawOrNull(st.State),
		"output":       rawOrNull(st.Output),
		"judgment":     judgment,
		"started_at":   st.StartedAt,
		"ended_at":     st.EndedAt,
		"deadline":     st.Deadline,
		"wake_at":      st.WakeAt,
		"claimed_by":   claimedBy,
		"claim_until":  st.ClaimUntil,
		"queued_at":    st.QueuedAt,
	}
}

func scanStage(row pgx.Row) (*model.Stage, error) {
	var (
		st        model.Stage
		judgment  []byte
		claimedBy *string
	)
	if err := row.Scan(&st.ExecutionID, &st.Name, &st.Type, &st.Status, &st.Reason, &st.Version, &st.Attempt,
		&st.State, &st.Output, &judgment, &st.StartedAt, &st.EndedAt, &st.Deadline, &st.WakeAt, &claimedBy,
		&st.ClaimUntil, &st.QueuedAt); err != nil {
		return nil, err
	}
	if judgment != nil {
		st.Judgment = new(model.Judgment)
		if err := json.Unmarshal(judgment, st.Judgment); err != nil {
			return nil, fmt.Errorf("stage %q: decode judgment: %w", st.Name, err)
		}
		st.Judgment.At = st.Judgment.At.UTC()
	}
	for _, t := range []**time.Time{&st.StartedAt, &st.EndedAt, &st.Deadline, &st.WakeAt, &st.ClaimUntil, &st.QueuedAt} {
		*t = utcPtr(*t)
	}
	if claimedBy != nil {
		st.ClaimedBy = *claimedBy
	}
	return &st, nil
}
