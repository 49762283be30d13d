package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pipeTx is a transaction on one pooled connection that spends no round
// trip of its own on BEGIN or COMMIT: BEGIN goes out in the same batch as
// the transaction's first statement (as pgx's own Batch.BeginTx does for a
// batch), and COMMIT in the same batch as its
// held logs (held_logs.go). A step of the engine is then three round trips
// (lock and read, writes, logs and commit) instead of five, and the
// commit-order lock, taken by the first held log insert, is released by a
// COMMIT that the server runs right after it, without waiting for the
// client. On this package's 2-core benchmark machine a round trip, not the
// SQL, is what a statement costs (docs/benchmarks.md).
//
// It implements pgx.Tx for River, which inserts jobs in the caller's
// transaction (Store.pgxTx). PostgreSQL runs a pipelined BEGIN as any
// other: the statements after it in the batch are in the transaction, and
// an error in one aborts it (the rest of the batch is skipped), which the
// Rollback that InTx always sends for a failed transaction ends.
type pipeTx struct {
	conn *pgxpool.Conn
	// beginSQL begins the transaction ("" is a plain BEGIN: READ COMMITTED).
	beginSQL string
	begun    bool // BEGIN was sent (with the first statement)
	closed   bool // committed or rolled back; conn released
	nested   int  // savepoints taken so far, for their names
}

// beginPipe acquires a connection for a transaction whose BEGIN is sent
// with its first statement.
func (s *Store) beginPipe(ctx context.Context) (*pipeTx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pipeTx{conn: conn}, nil
}

// begin sends BEGIN on its own, for the rare statements that cannot be
// batched with it (no arguments: the simple protocol allows several
// statements in one string; COPY; a savepoint).
func (t *pipeTx) begin(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if t.begun {
		return nil
	}
	if _, err := t.conn.Exec(ctx, t.beginStatement()); err != nil {
		return err
	}
	t.begun = true
	return nil
}

func (t *pipeTx) beginStatement() string {
	if t.beginSQL != "" {
		return t.beginSQL
	}
	return "begin"
}

// withBegin sends b, with BEGIN before its first statement unless the
// transaction has begun, and returns its results past the BEGIN.
func (t *pipeTx) withBegin(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	if t.begun {
		return t.conn.SendBatch(ctx, b), nil
	}
	b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: t.beginStatement()}}, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		return nil, failBatch(br, err)
	}
	t.begun = true
	return br, nil
}

// Exec runs one statement in the transaction.
func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun || len(args) == 0 {
		if err := t.begin(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
		return t.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := t.withBegin(ctx, b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs one query in the transaction.
func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.begun || len(args) == 0 {
		if err := t.begin(ctx); err != nil {
			return nil, err
		}
		return t.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := t.withBegin(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, failBatch(br, err)
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs a query for one row in the transaction.
func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return rowOf{rows}
}

// SendBatch sends b in the transaction (BEGIN first, when not yet sent).
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	br, err := t.withBegin(ctx, b)
	if err != nil {
		return errBatch{err}
	}
	return br
}

// CopyFrom copies rows into a table in the transaction.
func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.begin(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

// Prepare prepares a statement on the transaction's connection.
func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// LargeObjects is not supported: gennaker stores none, and pgx builds its
// LargeObjects only over its own transactions.
func (t *pipeTx) LargeObjects() pgx.LargeObjects {
	panic("postgres: large objects are not supported in a gennaker store transaction")
}

// Conn is the transaction's connection (River reads its configuration).
// A statement sent on it directly bypasses the pipelined BEGIN.
func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// Begin starts a savepoint in the transaction.
func (t *pipeTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	t.nested++
	sp := &savepointTx{parent: t, name: fmt.Sprintf("gnk_sp_%d", t.nested)}
	if _, err := t.conn.Exec(ctx, "savepoint "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

// Commit commits the transaction (nothing to send when it sent nothing).
func (t *pipeTx) Commit(ctx context.Context) error {
	return t.commitWith(ctx, nil)
}

// commitWith sends the held statements and COMMIT in one batch. An error
// names the held statement that failed; the transaction is then aborted,
// and Rollback ends it.
func (t *pipeTx) commitWith(ctx context.Context, held *heldLogs) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	var all []heldStatement
	if held != nil {
		all = held.statements()
	}
	if !t.begun && len(all) == 0 {
		t.release()
		return nil
	}
	b := &pgx.Batch{}
	held.queue(b)
	b.Queue("commit")
	br, err := t.withBegin(ctx, b)
	if err != nil {
		return err
	}
	if err := held.check(br); err != nil {
		return failBatch(br, err)
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	t.release()
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls the transaction back; after a commit it is ErrTxClosed.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	_, err := t.conn.Exec(ctx, "rollback")
	return err
}

// release gives the connection back to the pool, which closes it instead
// when it is not idle (a batch cut short, a transaction left open).
func (t *pipeTx) release() {
	if !t.closed {
		t.closed = true
		t.conn.Release()
	}
}

// savepointTx is a savepoint of a pipeTx, for River's nested transactions.
type savepointTx struct {
	parent *pipeTx
	name   string
	closed bool
}

func (s *savepointTx) Begin(ctx context.Context) (pgx.Tx, error) { return s.parent.Begin(ctx) }

func (s *savepointTx) Commit(ctx context.Context) error { return s.end(ctx, "release savepoint ") }

func (s *savepointTx) Rollback(ctx context.Context) error {
	return s.end(ctx, "rollback to savepoint ")
}

// end releases or rolls back to the savepoint, once.
func (s *savepointTx) end(ctx context.Context, stmt string) error {
	if s.closed {
		return pgx.ErrTxClosed
	}
	s.closed = true
	_, err := s.parent.Exec(ctx, stmt+s.name)
	return err
}

func (s *savepointTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return s.parent.CopyFrom(ctx, table, columns, src)
}

func (s *savepointTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return s.parent.SendBatch(ctx, b)
}

func (s *savepointTx) LargeObjects() pgx.LargeObjects { return s.parent.LargeObjects() }

func (s *savepointTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return s.parent.Prepare(ctx, name, sql)
}

func (s *savepointTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.parent.Exec(ctx, sql, args...)
}

func (s *savepointTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return s.parent.Query(ctx, sql, args...)
}

func (s *savepointTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return s.parent.QueryRow(ctx, sql, args...)
}

func (s *savepointTx) Conn() *pgx.Conn { return s.parent.Conn() }

// batchRows are a query's rows read from a batch, which they close with
// themselves, so that the connection is free for the next statement.
type batchRows struct {
	pgx.Rows
	br      pgx.BatchResults
	done    bool
	doneErr error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.done {
		r.done = true
		r.doneErr = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.doneErr
}

// rowOf is pgx.Row over rows: the first row, pgx.ErrNoRows without one.
type rowOf struct{ rows pgx.Rows }

func (r rowOf) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// failBatch closes a batch one of whose statements failed with err, and
// returns err: the batch's Close would only repeat it (or report the
// connection it broke, which the pool then drops).
func failBatch(br pgx.BatchResults, err error) error {
	_ = br.Close()
	return err
}

// errRow and errBatch carry an error that came before a row or a batch.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
