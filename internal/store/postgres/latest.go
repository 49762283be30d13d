package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// queueExecutionEnvironment queues the record that exec may change env,
// so ExecutionLatest finds it by environment (ExecutionInsert's batch).
func queueExecutionEnvironment(b *pgx.Batch, exec *model.Execution, env string) {
	b.Queue(query("ExecutionEnvironmentInsert"), pgx.NamedArgs{
		"execution_id": exec.ID,
		"environment":  env,
		"application":  exec.Application,
		"created_at":   exec.CreatedAt,
	})
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
	out, err := listRows(ctx, q, "ExecutionLatest", scanLatest, pgx.NamedArgs{
		"applications": strs(params.Applications),
		"environments": strs(params.Environments),
	})
	if err != nil {
		return nil, fmt.Errorf("latest executions: %w", err)
	}
	return out, nil
}

func scanLatest(row pgx.Row) (*store.LatestExecution, error) {
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
	row  pgx.Row
	dest []any
}

func (p prefixed) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.dest...), dest...)...)
}
