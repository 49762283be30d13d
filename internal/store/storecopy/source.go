package storecopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// openSource opens the SQLite database at path for reading only: one
// connection with query_only set (mode=ro fails on a WAL database whose
// -shm file is gone), whose transaction is the copy's snapshot.
func openSource(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", path, err), db.Close())
	}
	return db, nil
}

// checkSource makes sure the source holds nothing the copy would leave
// behind: each of its gennaker tables is a table of the target, with the
// same columns. A source an older gennaker wrote lacks the newer columns
// until it is migrated.
func checkSource(ctx context.Context, src *sql.Tx, tables []table, from string) error {
	names, err := queryStrings(ctx, src, `
		SELECT name FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT LIKE 'river\_%' ESCAPE '\'
		  AND name <> 'gennaker_migration'
		ORDER BY name`)
	if err != nil {
		return fmt.Errorf("reading the source's tables: %w", err)
	}
	target := map[string]table{}
	for _, t := range tables {
		target[t.name] = t
	}
	migrate := fmt.Sprintf("run `gennaker migrate --store %s` with this version of gennaker first, or copy with the version that wrote it", from)
	for _, n := range names {
		t, ok := target[n]
		if !ok {
			return fmt.Errorf("the source has a table %s the target's schema lacks: the source is newer than this gennaker; copy with the version that wrote it", n)
		}
		have, err := queryStrings(ctx, src, `SELECT name FROM pragma_table_info(?) ORDER BY name`, n)
		if err != nil {
			return fmt.Errorf("reading the source's columns of %s: %w", n, err)
		}
		for _, c := range t.columns {
			if !slices.Contains(have, c.name) {
				return fmt.Errorf("the source's table %s has no column %s: it was written by an older gennaker; %s", n, c.name, migrate)
			}
		}
		for _, h := range have {
			if !slices.ContainsFunc(t.columns, func(c column) bool { return c.name == h }) {
				return fmt.Errorf("the source's table %s has a column %s the target's schema lacks: the source is newer than this gennaker; copy with the version that wrote it", n, h)
			}
		}
	}
	for _, t := range tables {
		if !slices.Contains(names, t.name) {
			return fmt.Errorf("the source has no table %s: it was written by an older gennaker; %s", t.name, migrate)
		}
	}
	return nil
}

// sqliteSequence is the highest ID an AUTOINCREMENT column of table has
// handed out, deleted rows included (0 if none or not AUTOINCREMENT).
func sqliteSequence(ctx context.Context, src *sql.Tx, table string) (int64, error) {
	var exists bool
	if err := src.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var seq sql.NullInt64
	err := src.QueryRowContext(ctx, `SELECT max(seq) FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq)
	return seq.Int64, err
}

func queryStrings(ctx context.Context, src *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := src.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// sqliteIdent quotes an SQLite identifier.
func sqliteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
