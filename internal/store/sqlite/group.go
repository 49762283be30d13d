package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

// maxGroup is how many write transactions at most share one SQLite
// transaction (group commit). It bounds how long the first of them waits
// for its commit behind the others: about maxGroup short transactions.
const maxGroup = 32

// maxGroupAge is how long a group takes members at most: past it, the
// member that ends its turn commits, whoever waits (a member waits for its
// commit behind the others, whatever their transactions' length).
const maxGroupAge = 20 * time.Millisecond

// writeGroup is group commit for SQLite's one writer. SQLite runs one
// write transaction at a time, and under load most of a transaction's
// time holding the lock is its BEGIN and COMMIT (the write lock, the WAL's
// frames and their system calls). So concurrent InTx calls share one
// SQLite transaction: each runs its fn in turn, in its own goroutine, inside
// a SAVEPOINT of the shared transaction (its failure rolls back only its
// own changes), and the last of them commits for all. Nobody's InTx returns
// before the commit that holds its changes, and a failed commit fails every
// member: all or none of a group is stored, and each member's changes are
// whole.
//
// Who commits: a member that ends its turn while nobody waits for one (or
// the group is full, or 20 ms old) commits; otherwise it leaves the group open for the
// next, who joins it. A waiter that gives up (its context ended) while
// being the last one waiting commits the open group, so no group is ever
// left open with nobody to commit it.
type writeGroup struct {
	db      *sql.DB
	stmts   *stmtCache    // the writer's prepared statements, savepoints' too
	turn    chan struct{} // a token: holding it is the right to use open
	waiting atomic.Int32  // callers waiting for the turn
	open    *group        // the transaction being filled; guarded by turn
	// commits and members count shared transactions committed and the
	// InTx calls they held, for tests and diagnostics.
	commits, members atomic.Int64
}

// group is one shared SQLite transaction.
type group struct {
	conn    *sql.Conn
	sqlTx   *sql.Tx
	members int
	began   time.Time
	done    chan struct{} // closed when the group committed or rolled back
	err     error         // the commit's error, set before done is closed
}

func newWriteGroup(db *sql.DB, stmts *stmtCache) *writeGroup {
	return &writeGroup{db: db, stmts: stmts, turn: make(chan struct{}, 1)}
}

// The savepoint statements, prepared once with the writer's queries
// (Open): every write transaction runs two of them.
const (
	savepointSQL = "SAVEPOINT member"
	releaseSQL   = "RELEASE member"
	rollbackSQL  = "ROLLBACK TO member"
)

var groupStatements = []string{savepointSQL, releaseSQL, rollbackSQL}

// exec runs one of the savepoint statements in g.
func (w *writeGroup) exec(ctx context.Context, g *group, query string) error {
	_, err := preparedTx{tx: g.sqlTx, c: w.stmts}.ExecContext(ctx, query)
	return err
}

// run runs fn as one member of a shared transaction (see writeGroup). It
// returns fn's error at once (fn's changes rolled back), or, when fn
// succeeded, the commit's error after the commit that holds fn's changes.
// fn gets a context without the caller's cancellation: an interrupted
// write may make SQLite roll back the whole transaction, every member's
// changes with it; a caller who gave up meanwhile has fn's changes rolled
// back when fn returns.
func (w *writeGroup) run(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	w.waiting.Add(1)
	select {
	case w.turn <- struct{}{}:
		w.waiting.Add(-1)
	case <-ctx.Done():
		w.giveUp()
		return fmt.Errorf("begin transaction: %w", ctx.Err())
	}
	if err := ctx.Err(); err != nil { // it ended as the turn came
		w.endTurn(false)
		return fmt.Errorf("begin transaction: %w", err)
	}
	g, err := w.member(ctx)
	if err != nil {
		w.endTurn(false)
		return err
	}
	// Every member, the first too, runs in a savepoint: its failure undoes
	// its own changes only, and a RELEASE that fails proves SQLite rolled
	// the whole transaction back under it (see undo).
	stmtCtx := context.WithoutCancel(ctx)
	g.members++
	if err := w.exec(stmtCtx, g, savepointSQL); err != nil {
		w.abort(g, err)
		w.endTurn(false)
		return fmt.Errorf("begin transaction: %w", err)
	}
	done := false
	defer func() {
		if !done { // fn panicked: undo its changes, end the turn, let the panic go on
			w.undo(stmtCtx, g)
			w.endTurn(false)
		}
	}()
	ferr := fn(stmtCtx, g.sqlTx)
	if ferr == nil {
		ferr = ctx.Err()
	}
	done = true
	if ferr != nil {
		w.undo(stmtCtx, g)
		w.endTurn(false)
		return ferr
	}
	if err := w.exec(stmtCtx, g, releaseSQL); err != nil {
		w.abort(g, err)
		w.endTurn(false)
		return fmt.Errorf("commit transaction: %w", g.err)
	}
	w.endTurn(false)
	<-g.done
	return g.err
}

// member gives the caller, who holds the turn, the open group, beginning
// one when none is open.
func (w *writeGroup) member(ctx context.Context) (*group, error) {
	if w.open != nil {
		return w.open, nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", busy(err))
	}
	// The transaction outlives any one member's context: database/sql
	// would roll it back, with the others' changes, when that ended.
	sqlTx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("begin transaction: %w", busy(err)), conn.Close())
	}
	w.open = &group{conn: conn, sqlTx: sqlTx, done: make(chan struct{}), began: time.Now()}
	return w.open, nil
}

// undo rolls back a failed member's changes to its savepoint. When that
// fails, SQLite rolled back the whole transaction (after an I/O error, a
// full disk, an interrupted write), and the group is aborted.
func (w *writeGroup) undo(ctx context.Context, g *group) {
	if err := w.exec(ctx, g, rollbackSQL); err != nil {
		w.abort(g, err)
		return
	}
	if err := w.exec(ctx, g, releaseSQL); err != nil {
		w.abort(g, err)
	}
}

// errGroupBroken is what the members of a shared transaction that had to
// be rolled back as a whole get: none of their changes is stored. It is
// store.ErrBusy (try again; the API answers 503 with Retry-After).
var errGroupBroken = fmt.Errorf("%w: the write transaction was rolled back with another write's failure", store.ErrBusy)

// abort rolls the whole shared transaction back: its members that already
// ran get errGroupBroken.
func (w *writeGroup) abort(g *group, cause error) {
	rerr := g.sqlTx.Rollback()
	if errors.Is(rerr, sql.ErrTxDone) {
		rerr = nil
	}
	w.finish(g, fmt.Errorf("%w (%w)", errGroupBroken, errors.Join(cause, rerr)))
}

// endTurn ends the caller's turn, first committing the open group unless
// somebody waits to join it and it is not full.
func (w *writeGroup) endTurn(force bool) {
	defer func() { <-w.turn }()
	g := w.open
	if g == nil {
		return
	}
	if !force && w.waiting.Load() > 0 && g.members < maxGroup && time.Since(g.began) < maxGroupAge {
		return
	}
	if err := g.sqlTx.Commit(); err != nil {
		w.finish(g, fmt.Errorf("commit transaction: %w", busy(err)))
		return
	}
	w.commits.Add(1)
	w.members.Add(int64(g.members))
	w.finish(g, nil)
}

// finish ends the open group g with err and lets its members return.
func (w *writeGroup) finish(g *group, err error) {
	if w.open != g {
		return
	}
	w.open = nil
	g.err = err
	_ = g.conn.Close() // back to the pool
	close(g.done)
}

// giveUp takes back a waiter who will not take its turn. When it was the
// last one waiting, the open group, if any, is committed when the turn is
// free (its members left it open for the next in line), in the background:
// the caller who gave up returns at once.
func (w *writeGroup) giveUp() {
	if w.waiting.Add(-1) > 0 {
		return
	}
	go func() {
		w.turn <- struct{}{}
		w.endTurn(true)
	}()
}
