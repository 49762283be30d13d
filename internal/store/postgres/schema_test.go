package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// column is one column of a table, as its database describes it.
type column struct {
	Type    string
	NotNull bool
}

// schema is the tables of gennaker (not River's) with their columns, the
// named indexes and the triggers of a database.
type schema struct {
	tables   map[string]map[string]column
	indexes  []string
	triggers []string
}

// compatible lists the PostgreSQL types that may hold what a column of
// each SQLite type holds: text may be a time (timestamptz) or a JSON
// document; an integer may be a flag (boolean, 0 or 1 in SQLite).
var compatible = map[string][]string{
	"TEXT":    {"text", "timestamp with time zone", "jsonb", "json"},
	"INTEGER": {"integer", "bigint", "boolean"},
	"REAL":    {"double precision"},
	"BLOB":    {"bytea"},
}

func sqliteSchema(t *testing.T) schema {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	out := schema{tables: map[string]map[string]column{}}
	names := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table'
AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'river_%' ORDER BY name`)
	for _, table := range names {
		rows, err := db.QueryContext(t.Context(), "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", table)
		if err != nil {
			t.Fatal(err)
		}
		cols := map[string]column{}
		for rows.Next() {
			var name, typ string
			var notNull, pk int
			if err := rows.Scan(&name, &typ, &notNull, &pk); err != nil {
				t.Fatal(err)
			}
			// A primary key is never null, whatever the pragma says of
			// INTEGER PRIMARY KEY (the rowid).
			cols[name] = column{Type: typ, NotNull: notNull == 1 || pk > 0}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		out.tables[table] = cols
	}
	out.indexes = queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
AND tbl_name NOT LIKE 'river_%' ORDER BY name`)
	out.triggers = queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'trigger'
AND tbl_name NOT LIKE 'river_%' ORDER BY name`)
	return out
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func postgresSchema(t *testing.T, pool *pgxpool.Pool) schema {
	t.Helper()
	ctx := t.Context()
	out := schema{tables: map[string]map[string]column{}}
	rows, err := pool.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO'
FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE 'river_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var table, name string
	var col column
	if _, err := pgx.ForEachRow(rows, []any{&table, &name, &col.Type, &col.NotNull}, func() error {
		if out.tables[table] == nil {
			out.tables[table] = map[string]column{}
		}
		out.tables[table][name] = col
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	strs := func(q string) []string {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		s, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out.indexes = strs(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'river_%' ORDER BY indexname`)
	out.triggers = strs(`SELECT DISTINCT trigger_name::text FROM information_schema.triggers
WHERE trigger_schema = 'public' AND event_object_table NOT LIKE 'river_%' ORDER BY 1`)
	return out
}

// TestSchemaMatchesSQLite reads both schemas from live databases: every
// table and column of one is in the other, with a type that holds the same
// values and the same nullability, and every named SQLite index and trigger
// has its PostgreSQL namesake. A migration added to one store and not the
// other fails here.
func TestSchemaMatchesSQLite(t *testing.T) {
	t.Parallel()
	lite := sqliteSchema(t)
	pg := postgresSchema(t, migrated(t))
	if len(lite.tables) < 10 {
		t.Fatalf("read %d SQLite tables; the query is broken", len(lite.tables))
	}
	for table, cols := range lite.tables {
		pgCols, ok := pg.tables[table]
		if !ok {
			t.Errorf("table %s is in SQLite's schema, not PostgreSQL's: add it to a new migration in internal/store/postgres/migrations", table)
			continue
		}
		for name, c := range cols {
			p, ok := pgCols[name]
			switch {
			case !ok:
				t.Errorf("column %s.%s (%s) is in SQLite's schema, not PostgreSQL's", table, name, c.Type)
			case !slices.Contains(compatible[c.Type], p.Type):
				t.Errorf("column %s.%s is %s in SQLite, %s in PostgreSQL; want one of %v", table, name, c.Type, p.Type, compatible[c.Type])
			case c.NotNull != p.NotNull:
				t.Errorf("column %s.%s: NOT NULL is %v in SQLite, %v in PostgreSQL", table, name, c.NotNull, p.NotNull)
			}
		}
		for name, p := range pgCols {
			if _, ok := cols[name]; !ok {
				t.Errorf("column %s.%s (%s) is in PostgreSQL's schema, not SQLite's", table, name, p.Type)
			}
		}
	}
	for table := range pg.tables {
		if _, ok := lite.tables[table]; !ok {
			t.Errorf("table %s is in PostgreSQL's schema, not SQLite's", table)
		}
	}
	for _, idx := range lite.indexes {
		if !slices.Contains(pg.indexes, idx) {
			t.Errorf("index %s is in SQLite's schema, not PostgreSQL's (which has %s)", idx, strings.Join(pg.indexes, ", "))
		}
	}
	for _, tr := range lite.triggers {
		if !slices.Contains(pg.triggers, tr) {
			t.Errorf("trigger %s is in SQLite's schema, not PostgreSQL's (which has %s)", tr, strings.Join(pg.triggers, ", "))
		}
	}
}

func insertEvent(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(t.Context(), `INSERT INTO event (time, kind, application) VALUES (now(), 'deploy.started', 'checkout') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestEventAppendOnly: events and audit entries are never updated or
// deleted, not even all at once.
func TestEventAppendOnly(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	insertEvent(t, pool)
	if _, err := pool.Exec(t.Context(), `INSERT INTO audit (time, actor, action, outcome, prev_hash, hash) VALUES (now(), 'alice', 'config.apply', 'ok', '', 'h1')`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ stmt, want string }{
		{"UPDATE event SET kind = 'forged'", "event is append-only: events are never updated"},
		{"DELETE FROM event", "event is append-only: events are never deleted"},
		{"TRUNCATE event", "event is append-only"},
		{"UPDATE audit SET actor = 'mallory'", "audit is append-only: entries are never updated"},
		{"DELETE FROM audit", "audit is append-only: entries are never deleted"},
		{"TRUNCATE audit", "audit is append-only"},
	} {
		_, err := pool.Exec(t.Context(), tc.stmt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want the error %q", tc.stmt, err, tc.want)
		}
	}
	var events, entries int
	if err := pool.QueryRow(t.Context(), "SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM audit)").Scan(&events, &entries); err != nil {
		t.Fatal(err)
	}
	if events != 1 || entries != 1 {
		t.Errorf("%d events and %d audit entries left; want 1 and 1", events, entries)
	}
}

// TestAuditChain: an entry must follow the last committed one, also when
// two transactions read the same head at once: the second to insert waits
// for the first to commit, then is refused, so the chain never forks.
func TestAuditChain(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	ctx := t.Context()
	const insert = `INSERT INTO audit (time, actor, action, outcome, prev_hash, hash) VALUES (now(), 'alice', 'config.apply', 'ok', $1, $2)`
	if _, err := pool.Exec(ctx, insert, "not-the-head", "h1"); err == nil || !strings.Contains(err.Error(), "audit chain") {
		t.Fatalf("first entry with a prev_hash: %v; want it refused", err)
	}
	if _, err := pool.Exec(ctx, insert, "", "h1"); err != nil {
		t.Fatal(err)
	}
	a, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Rollback(context.Background())
	b, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(context.Background())
	if _, err := a.Exec(ctx, insert, "h1", "a2"); err != nil {
		t.Fatal(err)
	}
	bDone := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, insert, "h1", "b2") // waits for a's lock
		bDone <- err
	}()
	select {
	case err := <-bDone:
		t.Fatalf("the second append did not wait for the first: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-bDone; err == nil || !strings.Contains(err.Error(), "audit chain") {
		t.Fatalf("a second entry after h1: %v; want it refused (the chain would fork)", err)
	}
	var hashes []string
	rows, err := pool.Query(ctx, "SELECT prev_hash || '>' || hash FROM audit ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if hashes, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(hashes, " "); got != ">h1 h1>a2" {
		t.Errorf("chain %q, want \">h1 h1>a2\"", got)
	}
}

// TestTimeMicroseconds: a time round-trips at microsecond precision (the
// contract on both stores), in any time zone, and JSON documents keep their
// meaning in jsonb and their exact text in json.
func TestTimeMicroseconds(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	ctx := t.Context()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	for _, in := range []time.Time{
		time.Date(2026, 12, 3, 16, 4, 5, 123456000, time.UTC),
		time.Date(2026, 7, 1, 0, 0, 0, 1000, paris),
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		var out time.Time
		if err := pool.QueryRow(ctx, "INSERT INTO change (execution_id, application, at) VALUES ('e1', 'checkout', $1) RETURNING at", in).Scan(&out); err != nil {
			t.Fatal(err)
		}
		if !out.Equal(in) {
			t.Errorf("stored %s, read %s", in.Format(time.RFC3339Nano), out.Format(time.RFC3339Nano))
		}
	}
	// Nanoseconds are below the contract: they are dropped, not rounded up.
	var out time.Time
	in := time.Date(2026, 12, 3, 16, 4, 5, 123456789, time.UTC)
	if err := pool.QueryRow(ctx, "SELECT $1::timestamptz", in).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if want := in.Truncate(time.Microsecond); !out.Equal(want) {
		t.Errorf("stored %s, read %s; want %s", in.Format(time.RFC3339Nano), out.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	const detail = `{"z":1,"a":[1,2]}`
	var got string
	if err := pool.QueryRow(ctx, `INSERT INTO audit (time, actor, action, outcome, detail, prev_hash, hash)
VALUES (now(), 'alice', 'config.apply', 'ok', $1, '', 'h1') RETURNING detail::text`, detail).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != detail {
		t.Errorf("audit detail %q read back as %q: the chain hashes the exact text", detail, got)
	}
}

// TestChecks: the CHECK constraints, unique keys and foreign keys of the
// SQLite schema hold on PostgreSQL.
func TestChecks(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	ctx := t.Context()
	exec := func(q string, args ...any) error {
		_, err := pool.Exec(ctx, q, args...)
		return err
	}
	const sg = `INSERT INTO server_group (name, application, environment, sequence, version, role, status, instances, weight, env, created_at, updated_at)
VALUES ($1, 'checkout', $2, $3, '1.0.0', $4, 'up', 2, $5, '{}', now(), now())`
	if err := exec(sg, "checkout-v001", "staging", 1, "production", 100); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO execution (id, pipeline, application, status, params, trigger, spec, created_at)
VALUES ('e1', 'deploy', 'checkout', 'running', '{}', '{}', '{}', now())`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"server group name taken twice in one environment", exec(sg, "checkout-v001", "staging", 2, "production", 100)},
		{"sequence taken twice in one environment", exec(sg, "checkout-v002", "staging", 1, "production", 100)},
		{"weight above 100", exec(sg, "checkout-v003", "staging", 3, "production", 101)},
		{"unknown role", exec(sg, "checkout-v004", "staging", 4, "primary", 100)},
		{"unknown execution status", exec(`UPDATE execution SET status = 'paused' WHERE id = 'e1'`)},
		{"stage of no execution", exec(`INSERT INTO stage (execution_id, name, position, type, status) VALUES ('nope', 'deploy', 0, 'deploy', 'pending')`)},
		{"unknown stage status", exec(`INSERT INTO stage (execution_id, name, position, type, status) VALUES ('e1', 'deploy', 0, 'deploy', 'sleeping')`)},
		{"token with an empty name", exec(`INSERT INTO token (id, name, hash, role, scope, created_by, owner, created_at, expires_at)
VALUES ('t1', '', 'h', 'admin', '', 'alice', 'alice', now(), now())`)},
		{"login link of no token", exec(`INSERT INTO login_link (id, token_id, created_at, expires_at) VALUES ('l1', 'nope', now(), now())`)},
	} {
		if tc.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// The same name in another environment is another server group.
	if err := exec(sg, "checkout-v001", "prod", 1, "production", 100); err != nil {
		t.Errorf("checkout-v001 in prod while staging has one: %v", err)
	}
	// Two unrevoked tokens never share a name; a revoked one's name is free.
	const tok = `INSERT INTO token (id, name, hash, role, scope, created_by, owner, created_at, expires_at, revoked_at)
VALUES ($1, 'ci', 'h', 'deployer', '', 'alice', 'alice', now(), now() + interval '1 day', $2)`
	var revoked *time.Time
	now := time.Now()
	for i, tc := range []struct {
		revokedAt *time.Time
		ok        bool
	}{{&now, true}, {revoked, true}, {revoked, false}} {
		err := exec(tok, fmt.Sprintf("t%d", i), tc.revokedAt)
		if (err == nil) != tc.ok {
			t.Errorf("token %d named ci (revoked %v): %v, want accepted %v", i, tc.revokedAt != nil, err, tc.ok)
		}
	}
}
