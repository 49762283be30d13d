package postgres_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/test/pgenv"
)

func TestMain(m *testing.M) { os.Exit(pgenv.RunShared(m)) }

// newPool connects to url as one server would.
func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// migrated returns a pool on a fresh database that Migrate has brought up
// to date.
func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := newPool(t, pgenv.Shared(t).Database(t))
	if _, err := postgres.Migrate(t.Context(), pool, nil); err != nil {
		t.Fatal(err)
	}
	return pool
}

// countingHandler counts the log records whose message is one of interest.
type countingHandler struct {
	slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

func newCounting() *countingHandler {
	return &countingHandler{Handler: slog.DiscardHandler, mu: &sync.Mutex{}, counts: map[string]int{}}
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}

func (h *countingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[msg]
}

type appliedMigration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func appliedMigrations(t *testing.T, pool *pgxpool.Pool) []appliedMigration {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT version, name, applied_at FROM gennaker_migration ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[appliedMigration])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func riverVersions(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM river_migration").Scan(&n); err != nil {
		t.Fatalf("River's migrations: %v", err)
	}
	return n
}

// TestMigrate: a fresh database gets the whole schema, gennaker's and
// River's; migrating again changes nothing.
func TestMigrate(t *testing.T) {
	t.Parallel()
	pool := newPool(t, pgenv.Shared(t).Database(t))
	logs := newCounting()
	steps, err := postgres.Migrate(t.Context(), pool, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, pool)
	if len(first) == 0 || first[0].Version != 1 || first[0].Name != "001_init" {
		t.Fatalf("gennaker_migration after the first Migrate: %+v; want 001_init first", first)
	}
	if n := logs.count("applied migration"); n != len(first) {
		t.Errorf("%d migrations logged as applied, %d recorded", n, len(first))
	}
	rivers := riverVersions(t, pool)
	if rivers == 0 || logs.count("applied river migration") != rivers {
		t.Errorf("River: %d migrations recorded, %d logged as applied", rivers, logs.count("applied river migration"))
	}
	// What it returns (what `gennaker migrate` prints): each step, ours
	// then River's.
	if len(steps) != len(first)+rivers || steps[0] != "001_init" || !strings.HasPrefix(steps[len(first)], "river 001 ") {
		t.Errorf("Migrate returned %q; want the %d migrations recorded, then %d of River's", steps, len(first), rivers)
	}
	for _, table := range []string{"execution", "stage", "event", "audit", "server_group", "river_job"} {
		var exists bool
		if err := pool.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s after Migrate: exists %v, %v", table, exists, err)
		}
	}

	again := newCounting()
	if steps, err := postgres.Migrate(t.Context(), pool, slog.New(again)); err != nil || len(steps) != 0 {
		t.Fatalf("second Migrate: %q, %v; want nothing applied", steps, err)
	}
	if n := again.count("applied migration") + again.count("applied river migration"); n != 0 {
		t.Errorf("the second Migrate applied %d migrations; want none", n)
	}
	if second := appliedMigrations(t, pool); len(second) != len(first) || !second[len(second)-1].AppliedAt.Equal(first[len(first)-1].AppliedAt) {
		t.Errorf("gennaker_migration changed: %+v, then %+v", first, second)
	}
	if n := riverVersions(t, pool); n != rivers {
		t.Errorf("river_migration has %d rows, then %d", rivers, n)
	}
}

// TestMigrateConcurrent: eight servers starting at once on a fresh database
// all succeed, and each migration is applied exactly once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	url := pgenv.Shared(t).Database(t)
	const servers = 8
	pools := make([]*pgxpool.Pool, servers)
	for i := range pools {
		pools[i] = newPool(t, url)
	}
	logs := newCounting()
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := make(chan struct{})
	for i, pool := range pools {
		wg.Go(func() {
			<-start
			if _, err := postgres.Migrate(t.Context(), pool, slog.New(logs)); err != nil {
				failed.Add(1)
				t.Errorf("server %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	applied := appliedMigrations(t, pools[0])
	if n := logs.count("applied migration"); n != len(applied) {
		t.Errorf("%d migrations applied by %d servers; want each of the %d once", n, servers, len(applied))
	}
	if n, rivers := logs.count("applied river migration"), riverVersions(t, pools[0]); n != rivers {
		t.Errorf("%d River migrations applied by %d servers; want each of the %d once", n, servers, rivers)
	}
}

// TestMigrateNonSuperuser: the role gennaker runs as owns its database and
// nothing more (pgenv's role), and that is enough.
func TestMigrateNonSuperuser(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	var super bool
	if err := pool.QueryRow(t.Context(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		t.Fatal(err)
	}
	if super {
		t.Fatal("the test role is a superuser: this test proves nothing")
	}
}

// TestMigrateCanceled: a Migrate whose context ends while it waits for the
// lock returns, and leaves the lock to the one holding it.
func TestMigrateCanceled(t *testing.T) {
	t.Parallel()
	url := pgenv.Shared(t).Database(t)
	holder, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	if _, err := holder.Exec(t.Context(), "SELECT pg_advisory_lock(7450482578914239858)"); err != nil {
		t.Fatal(err)
	}
	// Long enough for Migrate to connect on a loaded machine (the deadline
	// covers its connect too), so what ends it is the wait for the lock.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err = postgres.Migrate(ctx, newPool(t, url), nil)
	if err == nil || !strings.Contains(err.Error(), "migration lock") {
		t.Fatalf("Migrate while another holds the lock: %v; want it to wait for the lock until canceled", err)
	}
	if _, err := holder.Exec(t.Context(), "SELECT pg_advisory_unlock(7450482578914239858)"); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Migrate(t.Context(), newPool(t, url), nil); err != nil {
		t.Fatalf("Migrate once the lock is free: %v", err)
	}
}
