package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps each of our queries prepared once per pool. SQLite spends
// more time compiling a statement than running one of ours, and the engine
// runs the same few statements thousands of times a second.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// prepareAll prepares every named query up front, and more.
func (c *stmtCache) prepareAll(ctx context.Context, more ...string) error {
	for _, q := range sqlQueries {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	for _, q := range more {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// preparedDB runs queries through a pool's cached statements.
type preparedDB struct{ c *stmtCache }

func (p preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.c.get(ctx, query)
	if err != nil {
		// Let database/sql report the preparation error through the row.
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// preparedTx runs queries through the writer's cached statements, bound to
// one transaction (database/sql reuses the statement already prepared on the
// transaction's connection).
type preparedTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (p preparedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.c.mu.Lock()
	st, ok := p.c.m[query]
	p.c.mu.Unlock()
	if !ok {
		// Never prepare on the pool here: the transaction holds the writer's
		// only connection. Prepare on the transaction instead (rare: every
		// query is prepared at Open).
		return p.tx.PrepareContext(ctx, query)
	}
	return p.tx.StmtContext(ctx, st), nil
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return p.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
