package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// executionEnvironmentsInsert records the environments exec may change, so
// ExecutionLatest finds it by environment. Called in ExecutionInsert's
// transaction.
func (q *queries) executionEnvironmentsInsert(ctx context.Context, exec *model.Execution) error {
	for _, env := range store.ExecutionEnvironments(exec.Spec) {
		if _, err := q.write.ExecContext(ctx, query("ExecutionEnvironmentInsert"),
			sql.Named("execution_id", exec.ID),
			sql.Named("environment", env),
			sql.Named("application", exec.Application),
			sql.Named("created_at", formatTime(exec.CreatedAt))); err != nil {
			return fmt.Errorf("environment %s: %w", env, err)
		}
	}
	return nil
}

// ExecutionLatest returns the newest execution of each application, and
// of each application in each environment, in one query, without stages.
func (q *queries) ExecutionLatest(ctx context.Context, params store.ExecutionLatestParams) ([]store.LatestExecution, error) {
	if err := params.Check(); err != nil {
		return nil, err
	}
	if len(params.Applications) == 0 {
		return nil, nil
	}
	out, err := listRows(ctx, q, "ExecutionLatest", scanLatest,
		sql.Named("applications", jsonArray(params.Applications)),
		sql.Named("environments", jsonArray(params.Environments)))
	if err != nil {
		return nil, fmt.Errorf("latest executions: %w", err)
	}
	return out, nil
}

func scanLatest(row rowScanner) (*store.LatestExecution, error) {
	var l store.LatestExecution
	exec, err := scanExecution(prefixed{row, []any{&l.Application, &l.Environment}})
	if err != nil {
		return nil, err
	}
	l.Execution = *exec
	return &l, nil
}

// prefixed scans the columns before a row's usual ones into its own
// destinations, so a scan function of the usual columns reads the rest.
type prefixed struct {
	row  rowScanner
	dest []any
}

func (p prefixed) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.dest...), dest...)...)
}
