package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// stageInsert stores one stage at position (its index in the execution).
func (q *queries) stageInsert(ctx context.Context, st *model.Stage, position int) error {
	args := append(stageArgs(st), sql.Named("position", position), sql.Named("type", string(st.Type)))
	_, err := q.write.ExecContext(ctx, query("StageInsert"), args...)
	if isDuplicate(err) {
		return fmt.Errorf("%w: two stages share this name", store.ErrConflict)
	}
	return err
}

// StageGet returns one stage of an execution.
func (q *queries) StageGet(ctx context.Context, executionID, name string) (*model.Stage, error) {
	st, err := scanStage(q.read.QueryRowContext(ctx, query("StageGet"),
		sql.Named("execution_id", executionID), sql.Named("name", name)))
	if errors.Is(err, sql.ErrNoRows) {
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
	args := append(stageArgs(st), sql.Named("from", jsonArray(params.From)))
	res, err := q.write.ExecContext(ctx, query("StageUpdate"), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = q.checkGuarded(ctx, res, what, fmt.Sprintf("one of %v at version %d", params.From, st.Version),
		query("StageStatus"), sql.Named("execution_id", st.ExecutionID), sql.Named("name", st.Name))
	if err != nil {
		return err
	}
	st.Version++
	return nil
}

// StageUpdates runs StageUpdate for each of params in one transaction.
func (q *queries) StageUpdates(ctx context.Context, params []store.StageUpdateParams) error {
	return q.atomic(ctx, func(q *queries) error {
		for _, p := range params {
			if err := q.StageUpdate(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// stageArgs binds the key and mutable fields of a stage.
func stageArgs(st *model.Stage) []any {
	var judgment any
	if st.Judgment != nil {
		judgment = mustJSON(st.Judgment)
	}
	return []any{
		sql.Named("execution_id", st.ExecutionID),
		sql.Named("name", st.Name),
		sql.Named("status", string(st.Status)),
		sql.Named("reason", st.Reason),
		sql.Named("version", st.Version),
		sql.Named("attempt", st.Attempt),
		sql.Named("state", rawOrNull(st.State)),
		sql.Named("output", rawOrNull(st.Output)),
		sql.Named("judgment", judgment),
		sql.Named("started_at", formatTimePtr(st.StartedAt)),
		sql.Named("ended_at", formatTimePtr(st.EndedAt)),
		sql.Named("deadline", formatTimePtr(st.Deadline)),
		sql.Named("wake_at", formatTimePtr(st.WakeAt)),
		sql.Named("claimed_by", nullString(st.ClaimedBy)),
		sql.Named("claim_until", formatTimePtr(st.ClaimUntil)),
		sql.Named("queued_at", formatTimePtr(st.QueuedAt)),
	}
}

func scanStage(row rowScanner) (*model.Stage, error) {
	var (
		st                            model.Stage
		state, output, judgment       sql.NullString
		startedAt, endedAt, deadline  sql.NullString
		wakeAt, claimedBy, claimUntil sql.NullString
		queuedAt                      sql.NullString
	)
	if err := row.Scan(&st.ExecutionID, &st.Name, &st.Type, &st.Status, &st.Reason, &st.Version, &st.Attempt,
		&state, &output, &judgment, &startedAt, &endedAt, &deadline, &wakeAt, &claimedBy, &claimUntil, &queuedAt); err != nil {
		return nil, err
	}
	st.State = nullRaw(state)
	st.Output = nullRaw(output)
	if judgment.Valid {
		st.Judgment = new(model.Judgment)
		if err := json.Unmarshal([]byte(judgment.String), st.Judgment); err != nil {
			return nil, fmt.Errorf("stage %q: decode judgment: %w", st.Name, err)
		}
		st.Judgment.At = st.Judgment.At.UTC()
	}
	var err error
	if st.StartedAt, err = parseTimePtr(startedAt); err != nil {
		return nil, fmt.Errorf("stage %q: started_at: %w", st.Name, err)
	}
	if st.EndedAt, err = parseTimePtr(endedAt); err != nil {
		return nil, fmt.Errorf("stage %q: ended_at: %w", st.Name, err)
	}
	if st.Deadline, err = parseTimePtr(deadline); err != nil {
		return nil, fmt.Errorf("stage %q: deadline: %w", st.Name, err)
	}
	if st.WakeAt, err = parseTimePtr(wakeAt); err != nil {
		return nil, fmt.Errorf("stage %q: wake_at: %w", st.Name, err)
	}
	if st.ClaimUntil, err = parseTimePtr(claimUntil); err != nil {
		return nil, fmt.Errorf("stage %q: claim_until: %w", st.Name, err)
	}
	if st.QueuedAt, err = parseTimePtr(queuedAt); err != nil {
		return nil, fmt.Errorf("stage %q: queued_at: %w", st.Name, err)
	}
	st.ClaimedBy = claimedBy.String
	return &st, nil
}
