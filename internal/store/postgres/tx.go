package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/store"
)

// txAttempts bounds how often InTx runs a transaction that PostgreSQL
// aborted to break a deadlock or a serialization conflict.
const txAttempts = 8

// InTx runs fn in one transaction (READ COMMITTED, PostgreSQL's default:
// guarded writes and ExecutionLock's row lock give the guarantees the
// store promises). When PostgreSQL aborts it to break a deadlock or a
// serialization failure, InTx rolls back and runs fn again, up to
// txAttempts times with a short random backoff; so fn must change nothing
// outside tx that a second run would not set right (the engine's apply
// reads and decides again).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) || attempt == txAttempts {
			if err != nil && retryable(err) {
				return fmt.Errorf("%w (gave up after %d attempts: the database kept aborting the transaction)", err, attempt)
			}
			return err
		}
		s.logger.DebugContext(ctx, "transaction aborted by the database; running it again", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

func (s *Store) inTxOnce(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	ptx, err := s.beginPipe(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		// Also when fn panics or exits its goroutine (t.Fatal in a test):
		// a transaction left open would hold its connection and locks.
		if rerr := ptx.Rollback(context.WithoutCancel(ctx)); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) && err != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
	}()
	t := &tx{pgxTx: ptx, store: s}
	t.queries = queries{db: ptx, now: s.now, inTx: true, held: &heldLogs{}}
	if err := fn(ctx, t); err != nil {
		return err
	}
	// The held logs and the COMMIT go in one round trip (pipe_tx.go).
	return ptx.commitWith(ctx, t.held)
}

// beginFunc gives Store methods that write several rows (ConfigApply,
// ExecutionInsert) a transaction of their own.
func (s *Store) beginFunc(ctx context.Context, fn func(q *queries) error) error {
	return s.InTx(ctx, func(ctx context.Context, t store.Tx) error {
		return fn(&t.(*tx).queries)
	})
}

// tx is store.Tx: every query bound to one pgx.Tx, which is also where the
// store's Queue inserts jobs (Store.pgxTx).
type tx struct {
	queries
	pgxTx pgx.Tx
	store *Store
}
