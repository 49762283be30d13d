package storecopy_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/datadir"
	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storecopy"
	"github.com/gennaker/gennaker/internal/store/storeurl"
	"github.com/gennaker/gennaker/test/pgenv"
)

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

// t0 has microseconds, the precision both stores keep, in a zone that is
// not UTC.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 60*60))

// bundle is one test's source data directory and target database.
type bundle struct {
	ctx      context.Context
	from, to storeurl.Target
}

func setup(t *testing.T) *bundle {
	t.Helper()
	dir := t.TempDir()
	b := &bundle{ctx: t.Context(), from: storeurl.Target{Kind: storeurl.SQLite, Dir: dir},
		to: storeurl.Target{Kind: storeurl.Postgres, URL: pgenv.Shared(t).Database(t)}}
	fill(t, b.ctx, filepath.Join(dir, storeurl.DBFile))
	return b
}

func TestCopyMovesEveryRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rep, err := storecopy.Copy(b.ctx, b.from, b.to, nil)
	must(t, err)
	if !rep.Audit.OK || rep.Audit.Entries != 3 {
		t.Fatalf("audit verification of the copy = %+v, want ok with 3 entries", rep.Audit)
	}

	src := openSQLite(t, filepath.Join(b.from.Dir, storeurl.DBFile))
	dst, err := pgx.Connect(b.ctx, b.to.URL)
	must(t, err)
	t.Cleanup(func() { dst.Close(context.WithoutCancel(b.ctx)) })

	var copied []string
	for _, tr := range rep.Tables {
		copied = append(copied, tr.Table)
	}
	tables := pgTables(t, b.ctx, dst)
	if want := slices.Sorted(slices.Values(tables)); !slices.Equal(slices.Sorted(slices.Values(copied)), want) {
		t.Fatalf("copied tables %v, want every gennaker table %v", copied, want)
	}
	if i, j := slices.Index(copied, "execution"), slices.Index(copied, "stage"); i > j {
		t.Errorf("stage copied before execution, which it refers to: %v", copied)
	}
	for _, tr := range rep.Tables {
		if tr.Rows == 0 {
			t.Errorf("table %s: the fixture has no rows in it; add some to fill, so the copy of every table is tested", tr.Table)
		}
	}

	for _, table := range tables {
		cols := pgColumns(t, b.ctx, dst, table)
		want := sqliteRows(t, src, table, cols)
		got := pgRows(t, b.ctx, dst, table, cols)
		if !slices.Equal(got, want) {
			t.Errorf("table %s after the copy:\n got %s\nwant %s", table, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}

	// IDs continue after the copied ones, and after change 3, which SQLite
	// handed out and deleted.
	for table, next := range map[string]int64{"event": 6, "audit": 4, "change": 4} {
		var id int64
		must(t, dst.QueryRow(b.ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id'))", table).Scan(&id))
		if id != next {
			t.Errorf("the next %s ID is %d, want %d", table, id, next)
		}
	}
}

func TestCopyRefusesATargetWithRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := storecopy.Copy(b.ctx, b.from, b.to, nil)
	must(t, err)
	_, err = storecopy.Copy(b.ctx, b.from, b.to, nil)
	if err == nil || !strings.Contains(err.Error(), "table access_grant already has rows") || !strings.Contains(err.Error(), "fresh, empty database") {
		t.Fatalf("a second copy into the same database: err = %v, want a refusal naming the first table with rows and asking for a fresh database", err)
	}
}

func TestCopyRefusesWhileAServerRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	unlock, err := datadir.Lock(b.from.Dir)
	must(t, err)
	defer unlock()
	_, err = storecopy.Copy(b.ctx, b.from, b.to, nil)
	if err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Fatalf("copy from a locked data directory: err = %v, want a refusal saying to stop the server first", err)
	}
	// Nothing happened to the target: it is not even migrated.
	dst, err := pgx.Connect(b.ctx, b.to.URL)
	must(t, err)
	defer dst.Close(context.WithoutCancel(b.ctx))
	if tables := pgTables(t, b.ctx, dst); len(tables) != 0 {
		t.Fatalf("the refused copy created tables %v", tables)
	}
}

func TestCopyRefusesABrokenAuditChain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	db, err := sql.Open("sqlite", filepath.Join(b.from.Dir, storeurl.DBFile))
	must(t, err)
	_, err = db.Exec(`DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE id = 2`)
	must(t, errors.Join(err, db.Close()))

	_, err = storecopy.Copy(b.ctx, b.from, b.to, nil)
	if err == nil || !strings.Contains(err.Error(), "audit chain breaks at entry 2") || !strings.Contains(err.Error(), "nothing was committed") {
		t.Fatalf("copy of a tampered audit log: err = %v, want a refusal naming entry 2", err)
	}
	dst, err := pgx.Connect(b.ctx, b.to.URL)
	must(t, err)
	defer dst.Close(context.WithoutCancel(b.ctx))
	var rows int
	must(t, dst.QueryRow(b.ctx, "SELECT count(*) FROM application").Scan(&rows))
	if rows != 0 {
		t.Fatalf("the refused copy committed %d applications", rows)
	}
}

func TestCopyRefusesWhatIsNotAnEmbeddedStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pg := storeurl.Target{Kind: storeurl.Postgres, URL: "postgres://gennaker:s3cret@127.0.0.1:1/x"}
	_, err := storecopy.Copy(ctx, pg, pg, nil)
	if err == nil || !strings.Contains(err.Error(), "sqlite://DATA-DIR") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("copy from postgres: err = %v, want a refusal asking for sqlite://DATA-DIR, without the password", err)
	}
	empty := storeurl.Target{Kind: storeurl.SQLite, Dir: t.TempDir()}
	_, err = storecopy.Copy(ctx, empty, pg, nil)
	if err == nil || !strings.Contains(err.Error(), "no gennaker database in") {
		t.Fatalf("copy from a directory without a database: err = %v", err)
	}
}

// fill writes a row or more into every table of the SQLite store at path,
// through the store's methods.
func fill(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	st, err := sqlite.Open(ctx, path, nil)
	must(t, err)
	defer st.Close()
	_, err = st.ConfigApply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Instances: 2,
			Run: model.RunSpec{Command: "./checkout", Args: []string{"--port", "{{port}}"}}, Labels: map[string]string{"tier": "1"}}},
		Environments: []model.Environment{{Name: "prod", Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true}},
		Pipelines: []model.Pipeline{{Name: "ship", Application: "checkout", Stages: []model.StageSpec{
			{Name: "zeta", Noop: &model.NoopStage{}},
			{Name: "alpha", Needs: []string{"zeta"}, Judgment: &model.JudgmentStage{Instructions: "look"}},
		}}},
		AnalysisTemplates: []model.AnalysisTemplate{{Name: "golden", Spec: model.AnalysisSpec{Interval: model.Duration(time.Minute)}}},
		Teams:             []model.Team{{Name: "payments", Members: []string{"ada@example.com"}}},
		Grants:            []model.Grant{{Name: "admins", Role: model.RoleAdmin, Subjects: []model.Subject{{Team: "payments"}}}},
		Notifications: []model.Notification{{Name: "ops", On: []model.NotifyEvent{model.NotifyExecutionFailed},
			Slack: &model.SlackTarget{URL: model.FromSecret(model.SecretRef{Env: "SLACK_URL"})}}},
		SLOs: []model.SLO{{Name: "checkout-api", Application: "checkout", Origin: "openslo",
			Indicator: model.SLI{Good: &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorGood},
				Total: &model.MetricQuery{Source: model.SLOSourceFrontDoor, Metric: model.FrontDoorRequests}},
			Window: model.SLOWindow{Count: 28, Unit: "d", Rolling: true}, Budgeting: model.BudgetOccurrences,
			Objectives: []model.Objective{{Target: 0.999}}}},
	})
	must(t, err)
	// The notification outbox: a pending delivery, one claimed, one sent.
	_, err = st.NotifyDispatch(ctx, store.NotifyDispatchParams{From: -1, To: 2, Deliveries: []store.Delivery{
		{ID: "d-1", Notification: "ops", EventID: 1, Pipeline: "ship", NextAt: t0,
			Event: model.Event{ID: 1, Kind: model.EventExecutionFinished, Detail: "failed: boom", Application: "checkout"}},
		{ID: "d-2", Notification: "ops", EventID: 2, NextAt: t0, Event: model.Event{ID: 2, Kind: model.EventRolledBack, Application: "checkout"}},
	}})
	must(t, err)
	claimed, err := st.DeliveryClaim(ctx, store.DeliveryClaimParams{Claimant: "old", Now: t0, Until: t0.Add(time.Minute), Limit: 1})
	must(t, err)
	must(t, st.DeliveryFinish(ctx, store.DeliveryFinishParams{ID: claimed[0].ID, Claimant: "old", Status: store.DeliverySent, At: t0}))

	exec := &model.Execution{
		ID: "exec-1", Pipeline: "ship", Application: "checkout", Status: model.ExecutionRunning,
		Params:    map[string]string{"version": "1.2.3"},
		Trigger:   model.Trigger{Kind: "manual", Actor: "ada", CommitTime: ptr(t0.Add(-time.Hour))},
		CreatedAt: t0,
		// The deploy stage gives the execution a row in execution_environment.
		Spec: model.Pipeline{Name: "ship", Application: "checkout", Stages: []model.StageSpec{
			{Name: "zeta", Deploy: &model.DeployStage{Environment: "prod"}},
			{Name: "alpha", Needs: []string{"zeta"}, Judgment: &model.JudgmentStage{Instructions: "look"}},
		}},
		Stages: []model.Stage{
			// A running stage claimed by the old server's worker, with a job queued.
			{Name: "zeta", Type: model.StageNoop, Status: model.StageRunning, Attempt: 1, State: json.RawMessage(`{"step": 2}`),
				StartedAt: ptr(t0), WakeAt: ptr(t0), ClaimedBy: "job-7/1/2", ClaimUntil: ptr(t0.Add(time.Minute)), QueuedAt: ptr(t0)},
			{Name: "alpha", Type: model.StageJudgment, Status: model.StagePending},
		},
	}
	must(t, st.ExecutionInsert(ctx, exec))
	for i := range 2 {
		err := st.EventInsert(ctx, &model.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: model.EventExecutionStarted,
			Application: "checkout", ExecutionID: "exec-1", CommitTime: ptr(t0), Detail: fmt.Sprint("event ", i)})
		must(t, err)
	}
	sg := &model.ServerGroup{Name: model.ServerGroupName("checkout", 1), Application: "checkout", Environment: "prod", Sequence: 1,
		Version: "1.2.3", Role: model.RoleProduction, Status: model.ServerGroupStatus("up"), Instances: 2, Weight: 100,
		Env: map[string]string{"COLOR": "blue"}, LastGood: true, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.ServerGroupInsert(ctx, sg))
	must(t, st.AnalysisInsert(ctx, &store.AnalysisRecord{ExecutionID: "exec-1", Stage: "zeta", Sequence: 1, StartedAt: t0, EndedAt: t0.Add(time.Minute),
		Outcome: "pass", Score: 97.5, Measurements: json.RawMessage(`[{"metric": "errors", "value": 0.25}]`), Verdict: json.RawMessage(`{"pass": true}`)}))
	_, _, err = st.LeaseAcquire(ctx, "deploy/checkout/prod", store.LeaseHolder{ExecutionID: "exec-1", Stage: "zeta", AcquiredAt: t0})
	must(t, err)
	tok := &model.Token{ID: "tok-1", Name: "ci", Hash: "hash-of-tok-1", Role: model.RoleDeployer, Scope: model.Scope{Team: "payments"},
		CreatedBy: "ada@example.com", Owner: "ada@example.com", CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)}
	must(t, st.TokenInsert(ctx, tok))
	must(t, st.SessionInsert(ctx, &model.Session{ID: "sess-1", Identity: model.Identity{Subject: "ada@example.com", Kind: model.IdentityUser},
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Source: "192.0.2.7"}))
	must(t, st.LoginLinkInsert(ctx, &model.LoginLink{ID: "link-1", TokenID: "tok-1", CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}))
	// Details whose text the json column must keep as stored.
	for i, detail := range []string{`{"z": 1, "a": [1, 2.50]}`, "", `{"reason":"no grant","big":12345678901234567890}`} {
		e := &model.AuditEntry{Time: t0.Add(time.Duration(i) * time.Second), Actor: "ada@example.com", Source: "192.0.2.7",
			Action: model.AuditConfigApply, Object: "Application/checkout", Application: "checkout", Outcome: model.AuditOK}
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		must(t, st.AuditAppend(ctx, e))
	}
	// Changes 1 and 2 stay; change 3 is deleted, its ID used.
	for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(time.Hour), t0} {
		must(t, st.ChangeInsert(ctx, &store.Change{ExecutionID: "exec-1", Application: "checkout", Stage: "zeta", Status: "running", At: at}))
	}
	_, err = st.ChangeDeleteBefore(ctx, t0.Add(time.Minute))
	must(t, err)
	must(t, st.TrafficSecondsInsert(ctx, []store.TrafficSecond{{Application: "checkout", Environment: "prod", ServerGroup: sg.Name,
		Time: t0.Truncate(time.Second), Requests: 10, Errors: 1, SumSeconds: 0.125,
		Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: 120, N: 9}, {Index: 583, N: 1}}}}}))
	// A trigger's claimed delivery and its state: paused, a cursor, a last firing.
	_, _, err = st.TriggerClaim(ctx, store.TriggerClaimParams{Key: "checkout/ship/push", DeliveryID: "d-1", ExecutionID: "exec-1", At: t0})
	must(t, err)
	must(t, st.TriggerCursorSet(ctx, "checkout/ship/push", []byte(`{"seen":["1.2.3"]}`)))
	must(t, st.TriggerPauseSet(ctx, store.TriggerPauseParams{Key: "checkout/ship/push", Paused: true, By: "ada@example.com", At: t0}))
	must(t, st.TriggerFiredSet(ctx, store.TriggerFiredParams{Key: "checkout/ship/push", FiredAt: ptr(t0), Error: "boom"}))
	// The KPI rollups: a production deploy by a person, folded.
	for i, k := range []model.EventKind{model.EventManualStep, model.EventDeployStarted, model.EventDeploySucceeded} {
		must(t, st.EventInsert(ctx, &model.Event{Time: t0.Add(time.Duration(10+i) * time.Second), Kind: k, Application: "checkout",
			Environment: "prod", ExecutionID: "exec-1", Stage: "zeta", Version: "1.2.3", Actor: "ada", Action: "run", CommitTime: ptr(t0.Add(-time.Hour))}))
	}
	must(t, kpi.NewProjector(kpi.ProjectorConfig{Store: st}).CatchUp(ctx))
	// Incidents: one resolved, with labels; one open, without.
	_, _, err = st.IncidentInsert(ctx, &model.Incident{ID: "am-1", Application: "checkout", Environment: "prod", Title: "5xx",
		Source: model.IncidentSourceAlertmanager, StartedAt: t0, OpenedBy: "token:alertmanager", URL: "http://prom/graph",
		Labels: map[string]string{"alertname": "HighErrors"}})
	must(t, err)
	_, _, err = st.IncidentResolve(ctx, store.IncidentResolveParams{ID: "am-1", At: t0.Add(time.Hour), By: "token:alertmanager"})
	must(t, err)
	_, _, err = st.IncidentInsert(ctx, &model.Incident{ID: "inc-2", Application: "checkout", Environment: "prod", Title: "slow",
		Source: model.IncidentSourceAPI, StartedAt: t0.Add(2 * time.Hour)})
	must(t, err)
	// SLO evaluations: a status, a point, a traffic minute, the lease.
	must(t, st.SLOStatusPut(ctx, model.SLOStatus{Name: "checkout-availability", Application: "checkout", EvaluatedAt: t0,
		Objectives: []model.ObjectiveStatus{{Name: "availability", Target: 0.999, Good: 99, Total: 100, Attainment: 0.99, BudgetRemaining: -9}}}))
	must(t, st.SLOPointAdd(ctx, []store.SLOPoint{{SLO: "checkout-availability", At: t0, Good: 99, Total: 100, BudgetRemaining: -9, BurnRate: 10}}))
	dense := make([]uint64, latency.NumBuckets)
	dense[200] = 100
	must(t, st.TrafficMinutePut(ctx, []store.TrafficMinute{{Application: "checkout", Environment: "prod", Minute: t0.Truncate(time.Minute),
		Requests: 100, Errors: 1, Latency: latency.EncodeMinute(dense)}}))
	_, err = st.SLOLeaseAcquire(ctx, "replica-1", t0, time.Minute)
	must(t, err)
}

// pgColumn is a column of the target and its information_schema type.
type pgColumn struct{ name, typ string }

func pgTables(t *testing.T, ctx context.Context, db *pgx.Conn) []string {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		  AND table_name <> 'gennaker_migration' AND table_name NOT LIKE 'river\_%' ORDER BY table_name`)
	must(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return names
}

func pgColumns(t *testing.T, ctx context.Context, db *pgx.Conn, table string) []pgColumn {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	must(t, err)
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgColumn, error) {
		var c pgColumn
		return c, r.Scan(&c.name, &c.typ)
	})
	must(t, err)
	return cols
}

// pgRows returns table's rows on the target, each as one normalised line,
// sorted.
func pgRows(t *testing.T, ctx context.Context, db *pgx.Conn, table string, cols []pgColumn) []string {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = pgx.Identifier{c.name}.Sanitize()
		if c.typ == "json" || c.typ == "jsonb" {
			exprs[i] += "::text"
		}
	}
	var out []string
	rows, err := db.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+pgx.Identifier{table}.Sanitize())
	must(t, err)
	for rows.Next() {
		vals, err := rows.Values()
		must(t, err)
		out = append(out, line(t, table, cols, vals))
	}
	must(t, rows.Err())
	slices.Sort(out)
	return out
}

// sqliteRows returns table's rows on the source as pgRows does, with the
// values the copy leaves out (a stage's claim) as NULL.
func sqliteRows(t *testing.T, db *sql.DB, table string, cols []pgColumn) []string {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = `"` + c.name + `"`
	}
	rows, err := db.Query("SELECT " + strings.Join(exprs, ", ") + " FROM " + table)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		must(t, rows.Scan(ptrs...))
		for i, c := range cols {
			if table == "stage" && slices.Contains([]string{"claimed_by", "claim_until", "queued_at"}, c.name) {
				if vals[0] == "exec-1" && vals[1] == "zeta" && vals[i] == nil {
					t.Fatalf("the fixture's stage zeta has no %s: the test of clearing claims tests nothing", c.name)
				}
				vals[i] = nil
			}
		}
		out = append(out, line(t, table, cols, vals))
	}
	must(t, rows.Err())
	slices.Sort(out)
	return out
}

// line writes a row's values in one form whichever side they come from:
// times in UTC at microseconds, flags as 0/1, jsonb documents canonical
// (PostgreSQL reorders them), json documents and the rest as they are.
func line(t *testing.T, table string, cols []pgColumn, vals []any) string {
	t.Helper()
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = cols[i].name + "=" + value(t, table+"."+cols[i].name, cols[i].typ, v)
	}
	return strings.Join(parts, " ")
}

func value(t *testing.T, where, typ string, v any) string {
	t.Helper()
	if v == nil {
		return "NULL"
	}
	switch typ {
	case "timestamp with time zone":
		tm, ok := v.(time.Time)
		if !ok {
			var err error
			if tm, err = time.Parse(time.RFC3339Nano, v.(string)); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		}
		return tm.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
	case "boolean":
		if b, ok := v.(bool); ok {
			return map[bool]string{false: "0", true: "1"}[b]
		}
		return fmt.Sprint(v)
	case "jsonb":
		dec := json.NewDecoder(strings.NewReader(v.(string)))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		must(t, enc.Encode(doc))
		return strings.TrimSpace(buf.String())
	case "double precision":
		return strconv.FormatFloat(v.(float64), 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
