package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlfile"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate brings the database up to date: gennaker's pending migrations in
// one transaction, recorded in gennaker_migration, then River's. It holds
// the advisory lock MigrationLock on a connection of its own (not one of
// pool's, which River's migrator uses meanwhile) for the whole time, so
// several servers starting at once migrate one after the other: the first
// applies the migrations, the others find nothing to do. It returns the
// steps it applied (none when the database was up to date). A nil logger
// logs nothing.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (applied []string, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	migrations, err := sqlfile.Migrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	// Closing the session releases the lock, also when unlocking fails.
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, query("MigrationLock")); err != nil {
		return nil, fmt.Errorf("migrations: take the migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), query("MigrationUnlock")); uerr != nil && err == nil {
			err = fmt.Errorf("migrations: release the migration lock: %w", uerr)
		}
	}()
	applied, err = applyMigrations(ctx, conn, migrations, logger)
	if err != nil {
		return applied, err
	}
	river, err := store.MigrateRiver(ctx, riverpgxv5.New(pool), logger)
	return append(applied, river...), err
}

// applyMigrations runs every migration not yet recorded in
// gennaker_migration, all in one transaction. The caller holds the
// migration lock.
func applyMigrations(ctx context.Context, conn *pgx.Conn, migrations []sqlfile.Migration, logger *slog.Logger) (applied []string, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(ctx, tx))
		}
	}()
	if _, err := tx.Exec(ctx, query("MigrationCreateTable")); err != nil {
		return nil, fmt.Errorf("migrations: create gennaker_migration: %w", err)
	}
	rows, err := tx.Query(ctx, query("MigrationApplied"))
	if err != nil {
		return nil, fmt.Errorf("migrations: read gennaker_migration: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("migrations: read gennaker_migration: %w", err)
	}
	done := map[int]bool{}
	for _, v := range versions {
		done[v] = true
	}
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		// Without arguments pgx sends the file as one simple query, so it
		// may hold several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, query("MigrationRecord"), pgx.NamedArgs{"version": m.Version, "name": m.Name}); err != nil {
			return nil, fmt.Errorf("migration %s: record: %w", m.Name, err)
		}
		logger.InfoContext(ctx, "applied migration", "name", m.Name)
		applied = append(applied, m.Name)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("migrations: commit: %w", err)
	}
	return applied, nil
}

// rollback ends a failed transaction; a connection already closed has
// nothing to roll back.
func rollback(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("migrations: rollback: %w", err)
	}
	return nil
}
