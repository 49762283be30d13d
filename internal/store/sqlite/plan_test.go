package sqlite

import (
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestListQueriesUseIndexes checks the query plans of the list queries that
// grow with the database: each must seek the index that fits its filters
// and read rows in the order it returns them (no sort of the whole table).
func TestListQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cases := []struct {
		query string
		args  []any
		want  string // in the plan: SEARCH (a seek, not a SCAN) and the index
	}{
		{"ExecutionList", executionListArgs(), "SEARCH execution USING INDEX execution_created"},
		{"EventList", eventListArgs(), "SEARCH event USING INTEGER PRIMARY KEY"},
		{"EventListNewest", eventListArgs(), "SEARCH event USING INTEGER PRIMARY KEY"},
		{"AuditList", auditListArgs(false), "SEARCH audit USING INTEGER PRIMARY KEY"},
		{"AuditListNewest", auditListArgs(false), "SEARCH audit USING INTEGER PRIMARY KEY"},
		{"AuditListByActor", auditListArgs(true), "SEARCH audit USING INDEX audit_actor"},
		{"AuditListByActorNewest", auditListArgs(true), "SEARCH audit USING INDEX audit_actor"},
		{"AuditListByApplication", auditListArgs(false), "SEARCH audit USING INDEX audit_application"},
		{"AuditListByApplicationNewest", auditListArgs(false), "SEARCH audit USING INDEX audit_application"},
		{"TokenRevoke", []any{sql.Named("name", ""), sql.Named("by", ""), sql.Named("at", "")}, "SEARCH token USING INDEX token_active_name"},
		{"SessionDeleteExpired", []any{sql.Named("now", "")}, "SEARCH session USING INDEX session_expires"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			plan := explain(t, s, query(tc.query), tc.args...)
			if !strings.Contains(plan, tc.want) {
				t.Fatalf("plan of %s:\n%s\nwant it to contain %q", tc.query, plan, tc.want)
			}
			// A Newest query sorts only its page, in the outer query.
			inner, _, _ := strings.Cut(plan, "SCAN (subquery")
			if strings.Contains(inner, "TEMP B-TREE") {
				t.Fatalf("plan of %s sorts rows instead of reading them in order:\n%s", tc.query, plan)
			}
		})
	}
}

func explain(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func executionListArgs() []any {
	return []any{
		sql.Named("application", ""), sql.Named("applications", "[]"), sql.Named("pipeline", ""),
		sql.Named("statuses", "[]"), sql.Named("trigger_kind", ""), sql.Named("actor", ""), sql.Named("since", ""), sql.Named("until", ""),
		sql.Named("before_created_at", nil), sql.Named("before_id", ""), sql.Named("limit", 50),
	}
}

func eventListArgs() []any {
	return []any{
		sql.Named("application", ""), sql.Named("applications", "[]"), sql.Named("environment", ""),
		sql.Named("kinds", "[]"), sql.Named("after_id", 0), sql.Named("before_id", int64(math.MaxInt64)), sql.Named("since", ""), sql.Named("limit", 100),
	}
}

func auditListArgs(actor bool) []any {
	args := []any{sql.Named("after_id", 0), sql.Named("since", ""), sql.Named("limit", 100), sql.Named("application", "")}
	if actor {
		args = append(args, sql.Named("actor", ""))
	}
	return args
}

// TestBatchQueriesUseIndexes checks the batched reads of the UI's pages:
// every application (and environment) of the batch is a seek into an index
// that holds the answer in order, never a scan of the executions.
func TestBatchQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	latest := explain(t, s, query("ExecutionLatest"),
		sql.Named("applications", `["a","b"]`), sql.Named("environments", `["prod"]`))
	for _, want := range []string{
		"SEARCH x USING COVERING INDEX execution_application_latest (application=?)",
		"SEARCH x USING COVERING INDEX execution_environment_latest (application=? AND environment=?)",
		"SEARCH e USING INDEX sqlite_autoindex_execution_1 (id=?)",
	} {
		if !strings.Contains(latest, want) {
			t.Errorf("plan of ExecutionLatest:\n%s\nwant it to contain %q", latest, want)
		}
	}
	t.Logf("plan of ExecutionLatest:\n%s", latest)
	if strings.Contains(latest, "SCAN x") || strings.Contains(latest, "SCAN e") {
		t.Errorf("plan of ExecutionLatest scans a table:\n%s", latest)
	}
	recent := explain(t, s, query("ExecutionRecent"), sql.Named("pipelines", `["a","b"]`), sql.Named("per", 5))
	if want := "SEARCH x USING COVERING INDEX execution_pipeline_latest (pipeline=?)"; !strings.Contains(recent, want) {
		t.Errorf("plan of ExecutionRecent:\n%s\nwant it to contain %q", recent, want)
	}
	if strings.Contains(recent, "SCAN x") || strings.Contains(recent, "SCAN e") {
		t.Errorf("plan of ExecutionRecent scans a table:\n%s", recent)
	}
	t.Logf("plan of ExecutionRecent:\n%s", recent)
	groups := explain(t, s, query("ServerGroupListOfApplications"),
		sql.Named("applications", `["a","b"]`), sql.Named("include_destroyed", false))
	if want := "SEARCH server_group USING INDEX sqlite_autoindex_server_group_2 (application=?)"; !strings.Contains(groups, want) {
		t.Errorf("plan of ServerGroupListOfApplications:\n%s\nwant it to contain %q", groups, want)
	}
}
