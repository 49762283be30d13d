package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlfile"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema step, named NNN_what.sql.
type migration = sqlfile.Migration

// migrate brings the schema up to date: gennaker's own migrations in one
// transaction, then River's, so the engine can start River straight away.
// It returns the steps it applied.
func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger) ([]string, error) {
	migrations, err := loadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	applied, err := applyMigrations(ctx, db, migrations, logger)
	if err != nil {
		return applied, err
	}
	river, err := store.MigrateRiver(ctx, riversqlite.New(db), logger)
	return append(applied, river...), err
}

// loadMigrations reads dir/NNN_name.sql files in version order.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	return sqlfile.Migrations(fsys, dir)
}

// applyMigrations runs every migration not yet recorded in
// gennaker_migration, all in one transaction.
func applyMigrations(ctx context.Context, db *sql.DB, migrations []migration, logger *slog.Logger) (applied []string, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("migrations: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, query("MigrationCreateTable")); err != nil {
		return nil, fmt.Errorf("migrations: create gennaker_migration: %w", err)
	}
	done, err := appliedVersions(ctx, tx)
	if err != nil {
		return nil, err
	}
	now := formatTime(time.Now())
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, query("MigrationRecord"),
			sql.Named("version", m.Version), sql.Named("name", m.Name), sql.Named("applied_at", now)); err != nil {
			return nil, fmt.Errorf("migration %s: record: %w", m.Name, err)
		}
		logger.InfoContext(ctx, "applied migration", "name", m.Name)
		applied = append(applied, m.Name)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrations: commit: %w", err)
	}
	return applied, nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, query("MigrationApplied"))
	if err != nil {
		return nil, fmt.Errorf("migrations: read gennaker_migration: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
