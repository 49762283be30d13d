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

// ExecutionInsert stores exec and its stages in one transaction, and in
// one round trip (a batch). A zero CreatedAt is set to now, and each
// stage's ExecutionID to exec.ID.
func (q *queries) ExecutionInsert(ctx context.Context, exec *model.Execution) error {
	if exec.CreatedAt.IsZero() {
		exec.CreatedAt = q.nowUTC()
	}
	err := q.atomic(ctx, func(q *queries) error {
		b := &pgx.Batch{}
		b.Queue(query("ExecutionInsert"), pgx.NamedArgs{
			"id":          exec.ID,
			"pipeline":    exec.Pipeline,
			"application": exec.Application,
			"status":      string(exec.Status),
			"reason":      exec.Reason,
			"params":      mustJSON(exec.Params),
			"trigger":     mustJSON(exec.Trigger),
			"spec":        mustJSON(exec.Spec),
			"created_at":  exec.CreatedAt,
			"ended_at":    exec.EndedAt,
			"version":     exec.Version,
		})
		explain := []func(error) error{func(err error) error {
			if isDuplicate(err) {
				return fmt.Errorf("%w: an execution with this ID exists", store.ErrConflict)
			}
			return err
		}}
		for _, env := range store.ExecutionEnvironments(exec.Spec) {
			queueExecutionEnvironment(b, exec, env)
			explain = append(explain, func(err error) error { return fmt.Errorf("environment %s: %w", env, err) })
		}
		for i := range exec.Stages {
			st := &exec.Stages[i]
			st.ExecutionID = exec.ID
			queueStageInsert(b, st, i)
			explain = append(explain, func(err error) error {
				if isDuplicate(err) {
					err = fmt.Errorf("%w: two stages share this name", store.ErrConflict)
				}
				return fmt.Errorf("stage %q: %w", st.Name, err)
			})
		}
		br := q.db.SendBatch(ctx, b)
		for _, why := range explain {
			if _, err := br.Exec(); err != nil {
				return failBatch(br, why(err))
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("insert execution %s: %w", exec.ID, err)
	}
	return nil
}

// ExecutionGet returns one execution with its stages in pipeline order.
func (q *queries) ExecutionGet(ctx context.Context, id string) (*model.Execution, error) {
	// The execution and its stages in one round trip and, outside a
	// transaction, in one snapshot: the batch begins and ends a read-only
	// REPEATABLE READ transaction around them (READ COMMITTED would give
	// each statement its own snapshot).
	snap := !q.inTx
	b := &pgx.Batch{}
	if snap {
		b.Queue(beginSnapshot)
	}
	b.Queue(query("ExecutionGet"), pgx.NamedArgs{"id": id})
	b.Queue(query("StageListByExecutions"), pgx.NamedArgs{"execution_ids": []string{id}})
	if snap {
		b.Queue("commit")
	}
	br := q.db.SendBatch(ctx, b)
	defer br.Close()
	if snap {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("read execution %s: %w", id, err)
		}
	}
	exec, err := scanExecution(br.QueryRow())
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read execution %s: %w", id, err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("read execution %s: read stages: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		st, err := scanStage(rows)
		if err != nil {
			return nil, fmt.Errorf("read execution %s: read stages: %w", id, err)
		}
		exec.Stages = append(exec.Stages, *st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read execution %s: read stages: %w", id, err)
	}
	rows.Close()
	if snap {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("read execution %s: %w", id, err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("read execution %s: %w", id, err)
	}
	return exec, nil
}

// ExecutionList returns executions newest first (by creation time, then ID),
// with their stages; with params.Before, only those after that cursor.
func (q *queries) ExecutionList(ctx context.Context, params store.ExecutionListParams) ([]model.Execution, error) {
	limit := params.PageSize()
	var beforeCreatedAt *time.Time
	beforeID := ""
	if c := params.Before; c != nil {
		beforeCreatedAt, beforeID = &c.CreatedAt, c.ID
	}
	var execs []model.Execution
	err := q.snapshot(ctx, func(q *queries) error {
		var err error
		execs, err = listRows(ctx, q, "ExecutionList", scanExecution, pgx.NamedArgs{
			"application":       params.Application,
			"applications":      strs(params.Applications),
			"pipeline":          params.Pipeline,
			"statuses":          strs(params.Statuses),
			"trigger_kind":      params.TriggerKind,
			"actor":             params.Actor,
			"since":             optTime(params.Since),
			"until":             optTime(params.Until),
			"before_created_at": beforeCreatedAt,
			"before_id":         beforeID,
			"limit":             limit,
		})
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
	execs, err := listRows(ctx, q, "ExecutionRecent", scanExecution, pgx.NamedArgs{
		"pipelines": strs(params.Pipelines),
		"per":       params.Per(),
	})
	if err != nil {
		return nil, fmt.Errorf("recent executions: %w", err)
	}
	return execs, nil
}

// optTime binds an optional bound: the zero time becomes NULL (no bound).
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ExecutionSetStatus moves an execution from one of params.From to params.To.
func (q *queries) ExecutionSetStatus(ctx context.Context, params store.ExecutionSetStatusParams) error {
	what, err := params.Check()
	if err != nil {
		return err
	}
	tag, err := q.db.Exec(ctx, query("ExecutionSetStatus"), pgx.NamedArgs{
		"id":       params.ID,
		"to":       string(params.To),
		"reason":   params.Reason,
		"ended_at": params.EndedAt,
		"from":     strs(params.From),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return q.checkGuarded(ctx, tag, what, fmt.Sprintf("one of %v", params.From),
		query("ExecutionStatus"), pgx.NamedArgs{"id": params.ID})
}

// ExecutionReopen makes an ended execution running again (a retry).
func (q *queries) ExecutionReopen(ctx context.Context, params store.ExecutionReopenParams) error {
	what, err := params.Check()
	if err != nil {
		return err
	}
	tag, err := q.db.Exec(ctx, query("ExecutionReopen"), pgx.NamedArgs{"id": params.ID, "from": strs(params.From)})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return q.checkGuarded(ctx, tag, what, fmt.Sprintf("one of %v", params.From),
		query("ExecutionStatus"), pgx.NamedArgs{"id": params.ID})
}

// checkGuarded turns a guarded write that changed no row into ErrNotFound
// (the row is missing) or ErrConflict (it is in another state). statusQuery
// describes the row's state as one text column.
func (q *queries) checkGuarded(ctx context.Context, tag pgconn.CommandTag, what, expected, statusQuery string, args pgx.NamedArgs) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var status string
	err := q.db.QueryRow(ctx, statusQuery, args).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return store.GuardConflict(what, status, expected)
}

func scanExecution(row pgx.Row) (*model.Execution, error) {
	var (
		exec                  model.Execution
		params, trigger, spec []byte
	)
	if err := row.Scan(&exec.ID, &exec.Pipeline, &exec.Application, &exec.Status, &exec.Reason,
		&params, &trigger, &spec, &exec.CreatedAt, &exec.EndedAt, &exec.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(params, &exec.Params); err != nil {
		return nil, fmt.Errorf("execution %s: decode params: %w", exec.ID, err)
	}
	if err := json.Unmarshal(trigger, &exec.Trigger); err != nil {
		return nil, fmt.Errorf("execution %s: decode trigger: %w", exec.ID, err)
	}
	if ct := exec.Trigger.CommitTime; ct != nil {
		*ct = ct.UTC()
	}
	if err := json.Unmarshal(spec, &exec.Spec); err != nil {
		return nil, fmt.Errorf("execution %s: decode spec: %w", exec.ID, err)
	}
	exec.CreatedAt = utc(exec.CreatedAt)
	exec.EndedAt = utcPtr(exec.EndedAt)
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
	stages, err := listRows(ctx, q, "StageListByExecutions", scanStage, pgx.NamedArgs{"execution_ids": ids})
	if err != nil {
		return fmt.Errorf("read stages: %w", err)
	}
	for _, st := range stages {
		e := &execs[index[st.ExecutionID]]
		e.Stages = append(e.Stages, st)
	}
	return nil
}

// ExecutionLock implements store.Tx: the UPDATE's row lock is held until
// the transaction ends, so a second apply on the same execution waits.
func (t *tx) ExecutionLock(ctx context.Context, id string) (int, error) {
	var prev int
	err := t.db.QueryRow(ctx, query("ExecutionLock"), pgx.NamedArgs{"id": id}).Scan(&prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("lock execution %s: %w", id, err)
	}
	return prev, nil
}
