package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ExecutionInsert stores exec and its stages in one transaction. A zero
// CreatedAt is set to now, and each stage's ExecutionID to exec.ID.
func (q *queries) ExecutionInsert(ctx context.Context, exec *model.Execution) error {
	if exec.CreatedAt.IsZero() {
		exec.CreatedAt = q.nowUTC()
	}
	err := q.atomic(ctx, func(q *queries) error {
		_, err := q.write.ExecContext(ctx, query("ExecutionInsert"),
			sql.Named("id", exec.ID),
			sql.Named("pipeline", exec.Pipeline),
			sql.Named("application", exec.Application),
			sql.Named("status", string(exec.Status)),
			sql.Named("reason", exec.Reason),
			sql.Named("params", mustJSON(exec.Params)),
			sql.Named("trigger", mustJSON(exec.Trigger)),
			sql.Named("spec", mustJSON(exec.Spec)),
			sql.Named("created_at", formatTime(exec.CreatedAt)),
			sql.Named("ended_at", formatTimePtr(exec.EndedAt)),
			sql.Named("version", exec.Version))
		if isDuplicate(err) {
			return fmt.Errorf("%w: an execution with this ID exists", store.ErrConflict)
		}
		if err != nil {
			return err
		}
		if err := q.executionEnvironmentsInsert(ctx, exec); err != nil {
			return err
		}
		for i := range exec.Stages {
			st := &exec.Stages[i]
			st.ExecutionID = exec.ID
			if err := q.stageInsert(ctx, st, i); err != nil {
				return fmt.Errorf("stage %q: %w", st.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert execution %s: %w", exec.ID, err)
	}
	return nil
}

// ExecutionGet returns one execution with its stages in pipeline order,
// read in one snapshot.
func (q *queries) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	var out *model.Execution
	err := q.snapshot(ctx, func(q *queries) error {
		exec, err := scanExecution(q.read.QueryRowContext(ctx, query("ExecutionGet"), sql.Named("id", id)))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read execution %s: %w", id, err)
		}
		execs := []model.Execution{*exec}
		if err := q.attachStages(ctx, execs); err != nil {
			return fmt.Errorf("read execution %s: %w", id, err)
		}
		out = &execs[0]
		return nil
	})
	return out, err
}

// ExecutionList returns executions newest first (by creation time, then ID),
// with their stages, read in one snapshot; with params.Before, only those
// after that cursor.
func (q *queries) ExecutionList(ctx context.Context, params store.ExecutionListParams) ([]model.Execution, error) {
	limit := params.PageSize()
	var beforeCreatedAt any
	beforeID := ""
	if c := params.Before; c != nil {
		beforeCreatedAt, beforeID = formatTime(c.CreatedAt), c.ID
	}
	var execs []model.Execution
	err := q.snapshot(ctx, func(q *queries) error {
		var err error
		execs, err = listRows(ctx, q, "ExecutionList", scanExecution,
			sql.Named("application", params.Application),
			sql.Named("applications", jsonArray(params.Applications)),
			sql.Named("pipeline", params.Pipeline),
			sql.Named("statuses", jsonArray(params.Statuses)),
			sql.Named("trigger_kind", params.TriggerKind),
			sql.Named("actor", params.Actor),
			sql.Named("since", optTime(params.Since)),
			sql.Named("until", optTime(params.Until)),
			sql.Named("before_created_at", beforeCreatedAt),
			sql.Named("before_id", beforeID),
			sql.Named("limit", limit))
		if err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		if err := q.attachStages(ctx, execs); err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return execs, nil
}

// ExecutionRecent returns the newest executions of each pipeline, without
// stages, in one query.
func (q *queries) ExecutionRecent(ctx context.Context, params store.ExecutionRecentParams) ([]model.Execution, error) {
	if err := params.Check(); err != nil {
		return nil, err
	}
	if len(params.Pipelines) == 0 {
		return nil, nil
	}
	execs, err := listRows(ctx, q, "ExecutionRecent", scanExecution,
		sql.Named("pipelines", jsonArray(params.Pipelines)),
		sql.Named("per", params.Per()))
	if err != nil {
		return nil, fmt.Errorf("recent executions: %w", err)
	}
	return execs, nil
}

// optTime stores an optional bound: the zero time becomes "" (no bound).
func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// ExecutionSetStatus moves an execution from one of params.From to params.To.
func (q *queries) ExecutionSetStatus(ctx context.Context, params store.ExecutionSetStatusParams) error {
	what, err := params.Check()
	if err != nil {
		return err
	}
	res, err := q.write.ExecContext(ctx, query("ExecutionSetStatus"),
		sql.Named("id", params.ID),
		sql.Named("to", string(params.To)),
		sql.Named("reason", params.Reason),
		sql.Named("ended_at", formatTimePtr(params.EndedAt)),
		sql.Named("from", jsonArray(params.From)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return q.checkGuarded(ctx, res, what, fmt.Sprintf("one of %v", params.From),
		query("ExecutionStatus"), sql.Named("id", params.ID))
}

// ExecutionReopen makes an ended execution running again (a retry).
func (q *queries) ExecutionReopen(ctx context.Context, params store.ExecutionReopenParams) error {
	what, err := params.Check()
	if err != nil {
		return err
	}
	res, err := q.write.ExecContext(ctx, query("ExecutionReopen"),
		sql.Named("id", params.ID),
		sql.Named("from", jsonArray(params.From)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return q.checkGuarded(ctx, res, what, fmt.Sprintf("one of %v", params.From),
		query("ExecutionStatus"), sql.Named("id", params.ID))
}

// checkGuarded turns a guarded write that changed no row into ErrNotFound
// (the row is missing) or ErrConflict (it is in another state). statusQuery
// describes the row's state as one text column.
func (q *queries) checkGuarded(ctx context.Context, res sql.Result, what, expected, statusQuery string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n > 0 {
		return nil
	}
	var status string
	err = q.write.QueryRowContext(ctx, statusQuery, args...).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return store.GuardConflict(what, status, expected)
}

func scanExecution(row rowScanner) (*model.Execution, error) {
	var (
		exec                  model.Execution
		params, trigger, spec string
		createdAt             string
		endedAt               sql.NullString
	)
	if err := row.Scan(&exec.ID, &exec.Pipeline, &exec.Application, &exec.Status, &exec.Reason,
		&params, &trigger, &spec, &createdAt, &endedAt, &exec.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &exec.Params); err != nil {
		return nil, fmt.Errorf("execution %s: decode params: %w", exec.ID, err)
	}
	if err := json.Unmarshal([]byte(trigger), &exec.Trigger); err != nil {
		return nil, fmt.Errorf("execution %s: decode trigger: %w", exec.ID, err)
	}
	if ct := exec.Trigger.CommitTime; ct != nil {
		*ct = ct.UTC()
	}
	if err := json.Unmarshal([]byte(spec), &exec.Spec); err != nil {
		return nil, fmt.Errorf("execution %s: decode spec: %w", exec.ID, err)
	}
	var err error
	if exec.CreatedAt, err = parseTime(createdAt); err != nil {
		return nil, fmt.Errorf("execution %s: created_at: %w", exec.ID, err)
	}
	if exec.EndedAt, err = parseTimePtr(endedAt); err != nil {
		return nil, fmt.Errorf("execution %s: ended_at: %w", exec.ID, err)
	}
	return &exec, nil
}

// attachStages loads the stages of execs, in pipeline order, in one query.
func (q *queries) attachStages(ctx context.Context, execs []model.Execution) error {
	if len(execs) == 0 {
		return nil
	}
	ids := make([]string, len(execs))
	index := make(map[string]int, len(execs))
	for i, e := range execs {
		ids[i] = e.ID
		index[e.ID] = i
	}
	rows, err := q.read.QueryContext(ctx, query("StageListByExecutions"), sql.Named("execution_ids", jsonArray(ids)))
	if err != nil {
		return fmt.Errorf("read stages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		st, err := scanStage(rows)
		if err != nil {
			return fmt.Errorf("read stages: %w", err)
		}
		e := &execs[index[st.ExecutionID]]
		e.Stages = append(e.Stages, *st)
	}
	return rows.Err()
}

// ExecutionLock implements store.Tx.
func (t *tx) ExecutionLock(ctx context.Context, id string) (int, error) {
	var prev int
	err := t.write.QueryRowContext(ctx, query("ExecutionLock"), sql.Named("id", id)).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("lock execution %s: %w", id, err)
	}
	return prev, nil
}
