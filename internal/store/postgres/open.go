package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/gennaker/gennaker/internal/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// defaultMaxConns is the pool size when the URL does not set
// pool_max_conns: enough for the engine's workers, River's producer and
// the API at once, and small next to PostgreSQL's max_connections (100 by
// default) so several replicas fit.
const defaultMaxConns = 20

// Store is store.Store over one PostgreSQL database.
type Store struct {
	queries
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Open connects to the database at url (postgres://user:password@host/db,
// with any libpq parameter pgx accepts, and pool_max_conns for the pool's
// size), migrates it under the migration lock (Migrate) and returns the
// store. A nil logger discards logs.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pool, err := Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if _, err := Migrate(ctx, pool, logger); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store on %s: %w", where(pool.Config()), err)
	}
	s := &Store{pool: pool, logger: logger}
	s.queries = queries{db: pool, now: time.Now, begin: s.beginFunc}
	return s, nil
}

// Connect opens a pool on the database at url (see Open) and checks that
// it answers, without migrating: for Open, and for the commands that work
// on a database directly (migrate, store copy). Its errors never hold the
// password.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the URL is not a PostgreSQL connection string (postgres://user:password@host:5432/db): %w", redact(err))
	}
	if !hasParam(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w (is the server up, and may this user log in to this database?)", where(cfg), err)
	}
	return pool, nil
}

// where names the server and database of cfg, without the password.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s as %s", c.Host, c.Port, c.Database, c.User)
}

// NewQueue is River over this store's pool with River's pgx driver; a job
// enqueued with Queue.InsertTx commits with this store's transaction.
func (s *Store) NewQueue(cfg *river.Config) (store.Queue, error) {
	return store.NewRiverQueue(riverpgxv5.New(s.pool), s.pgxTx, cfg)
}

// pgxTx is the pgx.Tx of t when t is a transaction of this store.
func (s *Store) pgxTx(t store.Tx) (pgx.Tx, bool) {
	own, ok := t.(*tx)
	if !ok || own.store != s {
		return nil, false
	}
	return own.pgxTx, true
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// StageReleaseClaims implements store.Store. With several replicas on one
// database it must not run: a live replica's claims would be dropped. The
// server calls it only with the embedded store.
func (s *Store) StageReleaseClaims(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, query("StageReleaseClaims"))
	if err != nil {
		return 0, fmt.Errorf("releasing the stage claims of a previous server: %w", err)
	}
	return tag.RowsAffected(), nil
}
