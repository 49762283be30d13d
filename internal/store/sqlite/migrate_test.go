package sqlite

import (
	"log/slog"
	"path/filepath"
	"testing"
)

// TestMigrationServerGroupPerEnvironment upgrades a database written before
// server-group numbers counted per environment: its rows survive, and the
// same name can then be taken in another environment.
func TestMigrationServerGroupPerEnvironment(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gennaker.db")
	db, err := openPool(ctx, path, writerPragmas, 1)
	if err != nil {
		t.Fatal(err)
	}
	all, err := loadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var before []migration
	for _, m := range all {
		if m.Version < 8 {
			before = append(before, m)
		}
	}
	if _, err := applyMigrations(ctx, db, before, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO server_group (name, application, environment, sequence, version, role, status, instances, weight, env, created_at, updated_at)
VALUES (?, 'checkout', ?, ?, ?, 'production', 'up', 2, 100, '{}', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')`
	for _, row := range [][]any{{"checkout-v001", "staging", 1, "1.0.0"}, {"checkout-v002", "prod", 2, "1.0.0"}} {
		if _, err := db.ExecContext(ctx, insert, row...); err != nil {
			t.Fatal(err)
		}
	}
	// Before: one name, one row everywhere.
	if _, err := db.ExecContext(ctx, insert, "checkout-v001", "prod", 3, "2.0.0"); err == nil {
		t.Fatal("the old schema took a name twice; the test's premise is wrong")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open after upgrade: %v", err)
	}
	defer s.Close()
	for env, name := range map[string]string{"staging": "checkout-v001", "prod": "checkout-v002"} {
		sg, err := s.ServerGroupGet(ctx, env, name)
		if err != nil || sg.Weight != 100 || sg.Instances != 2 {
			t.Fatalf("%s in %s after the upgrade: %+v, %v (the row was lost or changed)", name, env, sg, err)
		}
	}
	seq, err := s.ServerGroupNextSequence(ctx, "checkout", "prod")
	if err != nil || seq != 3 {
		t.Fatalf("next sequence in prod = %d, %v; want 3 (numbers continue per environment)", seq, err)
	}
	seq, err = s.ServerGroupNextSequence(ctx, "checkout", "staging")
	if err != nil || seq != 2 {
		t.Fatalf("next sequence in staging = %d, %v; want 2", seq, err)
	}
	if _, err := s.writer.ExecContext(ctx, insert, "checkout-v002", "staging", 2, "2.0.0"); err != nil {
		t.Fatalf("checkout-v002 in staging while prod has one: %v", err)
	}
}
