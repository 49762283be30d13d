package sqlite

import (
	"database/sql"
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
		sql.Named("statuses", "[]"), sql.Named("before_created_at", nil), sql.Named("before_id", ""), sql.Named("limit", 50),
	}
}

func eventListArgs() []any {
	return []any{
		sql.Named("application", ""), sql.Named("applications", "[]"), sql.Named("environment", ""),
		sql.Named("kinds", "[]"), sql.Named("after_id", 0), sql.Named("since", ""), sql.Named("limit", 100),
	}
}

func auditListArgs(actor bool) []any {
	args := []any{sql.Named("after_id", 0), sql.Named("since", ""), sql.Named("limit", 100), sql.Named("application", "")}
	if actor {
		args = append(args, sql.Named("actor", ""))
	}
	return args
}
