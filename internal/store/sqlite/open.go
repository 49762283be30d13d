package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/gennaker/gennaker/internal/store"
)

// busyTimeout is how long a connection waits for a lock before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// readerConns is the size of the read-only pool.
const readerConns = 4

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// Store is store.Store over one SQLite file.
type Store struct {
	queries
	writer *sql.DB
	reader *sql.DB
	group  *writeGroup // InTx's group commit over writer
	logger *slog.Logger
	// Prepared statements of our queries, per pool.
	writerStmts, readerStmts *stmtCache
	applied                  []string // by Open's migration
}

// Applied returns the migration steps Open applied (none when the database
// was up to date).
func (s *Store) Applied() []string { return append([]string(nil), s.applied...) }

// Open opens (creating if needed) the SQLite database at path, applies
// gennaker's migrations and River's, and returns the store. A nil logger
// discards logs.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite store: path %q must be a file path without '?' or '#'", path)
	}
	writer, err := openPool(ctx, path, writerPragmas, 1)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s (writer): %w", path, err)
	}
	applied, err := migrate(ctx, writer, logger)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store %s: %w", path, err), writer.Close())
	}
	reader, err := openPool(ctx, path, readerPragmas, readerConns)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store %s (reader): %w", path, err), writer.Close())
	}
	s := &Store{writer: writer, reader: reader, logger: logger, applied: applied}
	s.writerStmts, s.readerStmts = newStmtCache(writer), newStmtCache(reader)
	if err := s.writerStmts.prepareAll(ctx, groupStatements...); err != nil {
		return nil, errors.Join(fmt.Errorf("preparing queries: %w", err), s.Close())
	}
	s.group = newWriteGroup(writer, s.writerStmts)
	s.queries = queries{read: preparedDB{s.readerStmts}, write: preparedDB{s.writerStmts}, now: time.Now, begin: s.beginFunc, readTx: s.readFunc}
	return s, nil
}

// writerPragmas configure the single writer connection. WAL lets readers run
// beside it, NORMAL sync is safe in WAL mode, and _txlock=immediate takes the
// write lock at BEGIN so a transaction never fails half way on an upgrade.
var writerPragmas = []string{
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_pragma=foreign_keys(1)",
	fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
	"_txlock=immediate",
}

// readerPragmas make reader connections refuse writes. query_only is used
// rather than mode=ro, which fails when the -shm file is missing.
var readerPragmas = []string{
	"_pragma=query_only(1)",
	"_pragma=foreign_keys(1)",
	fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
}

func openPool(ctx context.Context, path string, pragmas []string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+strings.Join(pragmas, "&"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// NewQueue is River over the writer pool: River's SQLite driver needs the
// single writer, and enqueues a job in one of this store's transactions on
// its *sql.Tx. Its notifications stay in this process, the only one that
// works the embedded database (store.NewLocalRiverQueue).
func (s *Store) NewQueue(cfg *river.Config) (store.Queue, error) {
	return store.NewLocalRiverQueue(riversqlite.New(s.writer), s.sqlTx, cfg)
}

// sqlTx is the *sql.Tx of t when t is a transaction of this store.
func (s *Store) sqlTx(t store.Tx) (*sql.Tx, bool) {
	own, ok := t.(*tx)
	if !ok || own.store != s {
		return nil, false
	}
	return own.sqlTx, true
}

// DB is the read-only pool (query_only connections), for looking at the
// database past the Store's methods: its schema, in tests and diagnostics.
// Writes go through the Store, and River through NewQueue.
func (s *Store) DB() *sql.DB { return s.reader }

// WriterStats are the writer pool's statistics (how long writers waited
// for the one connection), for benchmarks and diagnostics.
func (s *Store) WriterStats() sql.DBStats { return s.writer.Stats() }

// Close closes both pools.
func (s *Store) Close() error {
	s.readerStmts.close()
	s.writerStmts.close()
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// InTx runs fn in one write transaction on the writer connection, which
// it may share with concurrent calls (group commit: writeGroup).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.group.run(ctx, func(ctx context.Context, sqlTx *sql.Tx) error {
		t := &tx{sqlTx: sqlTx, store: s}
		ptx := preparedTx{tx: sqlTx, c: s.writerStmts}
		t.queries = queries{read: ptx, write: ptx, now: s.now, inTx: true}
		return fn(ctx, t)
	})
}

// readFunc runs fn in a read transaction on a reader connection (WAL: one
// snapshot from its first read to its end), for Store methods that read
// with several statements (queries.snapshot).
func (s *Store) readFunc(ctx context.Context, fn func(q *queries) error) error {
	sqlTx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", busy(err))
	}
	defer sqlTx.Rollback() //nolint:errcheck // it only read
	ptx := preparedTx{tx: sqlTx, c: s.readerStmts}
	q := queries{read: ptx, write: ptx, now: s.now, inTx: true}
	return fn(&q)
}

// beginFunc gives Store methods that write several rows (ConfigApply,
// ExecutionInsert) a transaction of their own.
func (s *Store) beginFunc(ctx context.Context, fn func(q *queries) error) error {
	return s.InTx(ctx, func(ctx context.Context, t store.Tx) error {
		return fn(&t.(*tx).queries)
	})
}

// tx is store.Tx: every query bound to one *sql.Tx of store's writer,
// which is also where the store's Queue inserts jobs (Store.sqlTx).
type tx struct {
	queries
	sqlTx *sql.Tx
	store *Store
}
