package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/internal/store/storetest"
)

func openTemp(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "gennaker.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{
		Open: func(t *testing.T) store.Store { return openTemp(t) },
		Exec: func(ctx context.Context, st store.Store, stmt string) error {
			_, err := sqlite.WriterDB(st.(*sqlite.Store)).ExecContext(ctx, stmt)
			return err
		},
	})
}

func TestRiverMigrations(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	for _, table := range []string{"river_job", "river_queue", "river_leader", "river_migration"} {
		var name string
		err := sqlite.WriterDB(s).QueryRowContext(t.Context(),
			"SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&name)
		if err != nil {
			t.Errorf("table %s after Open: %v (River's migrations did not run)", table, err)
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gennaker.db")

	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EventInsert(ctx, &model.Event{Time: time.Now(), Kind: model.EventManualStep}); err != nil {
		t.Fatal(err)
	}
	versions := migrationVersions(t, sqlite.WriterDB(s))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s, err = sqlite.Open(ctx, path, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if got := migrationVersions(t, sqlite.WriterDB(s)); got != versions {
			t.Fatalf("reopen changed gennaker_migration: %q, was %q", got, versions)
		}
		events, err := s.EventList(ctx, store.EventListParams{})
		if err != nil || len(events) != 1 {
			t.Fatalf("after reopen: %d events, %v; want the 1 event written before", len(events), err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func migrationVersions(t *testing.T, db *sql.DB) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(),
		"SELECT group_concat(version || ':' || name, ',') FROM gennaker_migration").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1"} {
		var got string
		if err := sqlite.WriterDB(s).QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if got := sqlite.WriterDB(s).Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections; River's SQLite driver needs exactly 1", got)
	}
}

func TestOpenRejectsURIPath(t *testing.T) {
	t.Parallel()
	if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db?mode=memory"), nil); err == nil {
		t.Fatal("Open accepted a path with a query string")
	}
}

// BenchmarkStageUpdateTx measures the engine's hot path: one transaction
// that moves a stage on and appends an event.
func BenchmarkStageUpdateTx(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	exec := &model.Execution{
		ID: "exec-1", Pipeline: "ship", Application: "checkout", Status: model.ExecutionRunning,
		Stages: []model.Stage{{Name: "deploy", Type: model.StageDeploy, Status: model.StageRunning}},
	}
	if err := s.ExecutionInsert(ctx, exec); err != nil {
		b.Fatal(err)
	}
	st := exec.Stages[0]
	for i := 0; b.Loop(); i++ {
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			st.Attempt = i
			st.State = json.RawMessage(`{"step":1}`)
			if err := tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &st, From: []model.StageStatus{model.StageRunning}}); err != nil {
				return err
			}
			err := tx.EventInsert(ctx, &model.Event{Kind: model.EventDeployStarted, ExecutionID: "exec-1", Stage: "deploy"})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// DB is for looking: it reads the schema and refuses writes, which go
// through the Store (and River through NewQueue).
func TestDBIsReadOnly(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	var tables int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables == 0 {
		t.Fatal("DB sees no tables")
	}
	if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM session"); err == nil {
		t.Fatal("a DELETE through DB succeeded; DB must be read-only")
	}
}
