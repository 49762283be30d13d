package postgres_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store/postgres"
)

// TestBatchQueriesUseIndexes checks that the batched reads of the UI's
// pages can be answered by an index probe per application (and
// environment): with sequential scans priced out, as on a large table, the
// plan seeks the indexes that hold the answer in order. (On 1.5 M
// executions, docs/benchmarks.md, the planner picks them by itself.)
func TestBatchQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	pool := postgres.Pool(openFresh(t))
	ctx := t.Context()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	explain := func(name string, args pgx.NamedArgs) string {
		rows, err := conn.Query(ctx, "EXPLAIN "+postgres.Query(name), args)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	latest := explain("ExecutionLatest", pgx.NamedArgs{"applications": []string{"a", "b"}, "environments": []string{"prod"}})
	for _, want := range []string{
		"using execution_application_latest on execution",
		"using execution_environment_latest on execution_environment",
	} {
		if !strings.Contains(latest, want) {
			t.Errorf("plan of ExecutionLatest:\n%s\nwant it to contain %q", latest, want)
		}
	}
	if strings.Contains(latest, "Seq Scan on execution") {
		t.Errorf("plan of ExecutionLatest scans a table:\n%s", latest)
	}
	recent := explain("ExecutionRecent", pgx.NamedArgs{"pipelines": []string{"a", "b"}, "per": 5})
	if !strings.Contains(recent, "using execution_pipeline_latest on execution") || strings.Contains(recent, "Seq Scan on execution") ||
		strings.Contains(recent, "Sort Key: execution.created_at DESC") {
		t.Errorf("plan of ExecutionRecent:\n%s\nwant an index scan of execution_pipeline_latest per pipeline in order (no sort), no table scan", recent)
	}
	t.Logf("ExecutionRecent:\n%s", recent)
	groups := explain("ServerGroupListOfApplications", pgx.NamedArgs{"applications": []string{"a", "b"}, "include_destroyed": false})
	if strings.Contains(groups, "Seq Scan") {
		t.Errorf("plan of ServerGroupListOfApplications scans the table:\n%s", groups)
	}
	t.Logf("ExecutionLatest:\n%s\nServerGroupListOfApplications:\n%s", latest, groups)
}
