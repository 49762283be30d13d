package storecopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gennaker/gennaker/internal/audit"
	"github.com/gennaker/gennaker/internal/datadir"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/storeurl"
)

// Report is what a copy moved.
type Report struct {
	// Tables are the copied tables, in the order they were copied.
	Tables []TableRows `json:"tables"`
	// Audit is the verification of the copy's audit chain.
	Audit audit.Verification `json:"audit"`
}

// TableRows is how many rows a table has on both sides after the copy.
type TableRows struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// Copy copies the embedded store from (sqlite://DIR) into the PostgreSQL
// database to, migrating it first. It refuses while a server uses DIR (it
// holds DIR's lock throughout) and when any gennaker table of the target
// has rows. Nothing is committed unless every row went over and the copy's
// audit chain verifies. A nil logger logs nothing.
func Copy(ctx context.Context, from, to storeurl.Target, logger *slog.Logger) (*Report, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if from.Kind != storeurl.SQLite {
		return nil, fmt.Errorf("copy from %s: the source must be an embedded store, sqlite://DATA-DIR", from)
	}
	if to.Kind != storeurl.Postgres {
		return nil, fmt.Errorf("copy to %s: the target must be a PostgreSQL store, postgres://USER@HOST:5432/DATABASE", to)
	}
	path := filepath.Join(from.Dir, storeurl.DBFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no gennaker database in %s (%v): give the server's data directory, as in sqlite://.gennaker", from.Dir, err)
	}
	unlock, err := datadir.Lock(from.Dir)
	if err != nil {
		if errors.As(err, new(*datadir.LockedError)) {
			return nil, fmt.Errorf("%w: stop the server first, then copy (a copy must not miss what a live server writes)", err)
		}
		return nil, err
	}
	defer unlock()
	src, err := openSource(ctx, path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	pool, err := postgres.Connect(ctx, to.URL)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: %w", to, err)
	}
	defer pool.Close()
	if _, err := postgres.Migrate(ctx, pool, logger); err != nil {
		return nil, fmt.Errorf("copy to %s: %w", to, err)
	}
	var rep *Report
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		c := &copier{from: from, dst: tx, logger: logger}
		var err error
		rep, err = c.run(ctx, src)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s (nothing was committed): %w", from, to, err)
	}
	return rep, nil
}

// copier is one copy: the target's transaction and what it has learned.
type copier struct {
	from   storeurl.Target
	dst    pgx.Tx
	logger *slog.Logger
}

// run copies every table within one read transaction of the source (its
// snapshot) and the target's transaction, then checks the copy.
func (c *copier) run(ctx context.Context, src *sql.DB) (*Report, error) {
	tables, err := readSchema(ctx, c.dst)
	if err != nil {
		return nil, err
	}
	if err := c.lockEmpty(ctx, tables); err != nil {
		return nil, err
	}
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin reading the source: %w", err)
	}
	defer stx.Rollback() //nolint:errcheck // read only
	if err := checkSource(ctx, stx, tables, c.from.String()); err != nil {
		return nil, err
	}
	rep := &Report{}
	for _, t := range tables {
		if err := c.copyTable(ctx, stx, t); err != nil {
			return nil, err
		}
		if err := c.continueIdentities(ctx, stx, t); err != nil {
			return nil, err
		}
		n, err := sameCount(ctx, stx, c.dst, t.name)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, TableRows{Table: t.name, Rows: n})
		c.logger.InfoContext(ctx, "copied table", "table", t.name, "rows", n)
	}
	if rep.Audit, err = audit.VerifyChain(ctx, auditLog{c.dst}); err != nil {
		return nil, fmt.Errorf("verifying the copy's audit chain: %w", err)
	}
	if !rep.Audit.OK {
		return nil, fmt.Errorf("the copy's audit chain breaks at entry %d: %s; check the source with `gennaker audit verify --data %s`",
			rep.Audit.Break.ID, rep.Audit.Break.Reason, c.from.Dir)
	}
	return rep, nil
}

// lockEmpty locks the target's tables against writes until the copy
// commits, then refuses unless each is empty: a copy never merges into a
// store in use.
func (c *copier) lockEmpty(ctx context.Context, tables []table) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = pgx.Identifier{t.name}.Sanitize()
	}
	if _, err := c.dst.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("locking the target's tables: %w", err)
	}
	for i, t := range tables {
		var rows bool
		if err := c.dst.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+names[i]+")").Scan(&rows); err != nil {
			return fmt.Errorf("reading the target's table %s: %w", t.name, err)
		}
		if rows {
			return fmt.Errorf("the target's table %s already has rows: copy into a fresh, empty database (createdb, then --to its URL); a copy never merges into a store in use", t.name)
		}
	}
	return nil
}

// copyTable streams t's rows in key order from the source into the
// target with COPY, converting each column to its PostgreSQL type.
func (c *copier) copyTable(ctx context.Context, src *sql.Tx, t table) error {
	names := make([]string, len(t.columns))
	selects := make([]string, len(t.columns))
	convs := make([]converter, len(t.columns))
	for i, col := range t.columns {
		names[i], selects[i], convs[i] = col.name, sqliteIdent(col.name), converterFor(col.typ)
		if cleared[t.name][col.name] {
			selects[i], convs[i] = "NULL", converterFor("")
		}
	}
	q := "SELECT " + strings.Join(selects, ", ") + " FROM " + sqliteIdent(t.name)
	if len(t.key) > 0 {
		keys := make([]string, len(t.key))
		for i, k := range t.key {
			keys[i] = sqliteIdent(k)
		}
		q += " ORDER BY " + strings.Join(keys, ", ")
	}
	rows, err := src.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("reading the source's table %s: %w", t.name, err)
	}
	defer rows.Close()
	next := func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		return convertRow(rows, t, convs)
	}
	if _, err := c.dst.CopyFrom(ctx, pgx.Identifier{t.name}, names, pgx.CopyFromFunc(next)); err != nil {
		if t.name == "audit" {
			// The target's audit_chain trigger refuses an entry that does
			// not follow the one before it.
			return fmt.Errorf("copying table audit: %w (check the source's chain with `gennaker audit verify --data %s`)", err, c.from.Dir)
		}
		return fmt.Errorf("copying table %s: %w", t.name, err)
	}
	return nil
}

// convertRow scans the current row and converts each of its values.
func convertRow(rows *sql.Rows, t table, convs []converter) ([]any, error) {
	vals := make([]any, len(convs))
	ptrs := make([]any, len(convs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("reading a row of %s: %w", t.name, err)
	}
	raw := slices.Clone(vals)
	for i, conv := range convs {
		v, err := conv(vals[i])
		if err != nil {
			return nil, fmt.Errorf("table %s, row %s, column %s: %w", t.name, rowKey(t, raw), t.columns[i].name, err)
		}
		vals[i] = v
	}
	return vals, nil
}

// rowKey names a row by its primary key, for errors.
func rowKey(t table, vals []any) string {
	var parts []string
	for _, k := range t.key {
		for i, col := range t.columns {
			if col.name == k {
				parts = append(parts, fmt.Sprintf("%s=%v", k, vals[i]))
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// continueIdentities sets the sequence of each identity column of t past
// the copied IDs, and past any ID SQLite's AUTOINCREMENT handed out for a
// row since deleted, so the target never hands out an ID twice.
func (c *copier) continueIdentities(ctx context.Context, src *sql.Tx, t table) error {
	for _, col := range t.columns {
		if !col.identity {
			continue
		}
		ident := pgx.Identifier{t.name}.Sanitize()
		var last int64
		err := c.dst.QueryRow(ctx, "SELECT coalesce(max("+pgx.Identifier{col.name}.Sanitize()+"), 0) FROM "+ident).Scan(&last)
		if err != nil {
			return fmt.Errorf("reading the last %s.%s: %w", t.name, col.name, err)
		}
		seq, err := sqliteSequence(ctx, src, t.name)
		if err != nil {
			return fmt.Errorf("reading the source's sqlite_sequence of %s: %w", t.name, err)
		}
		last = max(last, seq)
		if last == 0 {
			continue
		}
		if _, err := c.dst.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, $2), $3)", ident, col.name, last); err != nil {
			return fmt.Errorf("continuing the IDs of %s.%s after %d: %w", t.name, col.name, last, err)
		}
	}
	return nil
}

// sameCount returns table's row count, the same on both sides, or an
// error when it differs.
func sameCount(ctx context.Context, src *sql.Tx, dst pgx.Tx, name string) (int64, error) {
	var have, want int64
	if err := src.QueryRowContext(ctx, "SELECT count(*) FROM "+sqliteIdent(name)).Scan(&want); err != nil {
		return 0, fmt.Errorf("counting the source's rows of %s: %w", name, err)
	}
	if err := dst.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{name}.Sanitize()).Scan(&have); err != nil {
		return 0, fmt.Errorf("counting the copy's rows of %s: %w", name, err)
	}
	if have != want {
		return 0, fmt.Errorf("table %s: the source has %d rows, the copy %d", name, want, have)
	}
	return have, nil
}
