package storecopy

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// table is a gennaker table of the PostgreSQL schema, as the copy needs it.
type table struct {
	name    string
	columns []column
	// key is the primary key's columns: rows are read in this order, so
	// the audit chain is appended entry after entry.
	key []string
}

// column is a column and its PostgreSQL type.
type column struct {
	name string
	// typ is the type's name in pg_type (timestamptz, bool, jsonb, ...).
	typ string
	// identity is set on a GENERATED ... AS IDENTITY column.
	identity bool
}

// readSchema returns gennaker's tables in the target's current schema, in
// foreign-key order (a referenced table before the tables referring to
// it, else by name). gennaker_migration (the target's own record) and
// River's river_* tables are not gennaker's data.
func readSchema(ctx context.Context, db pgx.Tx) ([]table, error) {
	rows, err := db.Query(ctx, `
		SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
		  AND c.relname <> 'gennaker_migration' AND c.relname NOT LIKE 'river\_%'
		ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("reading the target's tables: %w", err)
	}
	type rel struct {
		oid  uint32
		name string
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var v rel
		return v, r.Scan(&v.oid, &v.name)
	})
	if err != nil {
		return nil, fmt.Errorf("reading the target's tables: %w", err)
	}
	if len(rels) == 0 {
		return nil, fmt.Errorf("the target has no gennaker tables after migrating: is current_schema() the one gennaker migrated?")
	}
	tables := make(map[string]table, len(rels))
	for _, r := range rels {
		t := table{name: r.name}
		if t.columns, err = readColumns(ctx, db, r.oid); err != nil {
			return nil, fmt.Errorf("reading the columns of %s: %w", r.name, err)
		}
		if t.key, err = readKey(ctx, db, r.oid); err != nil {
			return nil, fmt.Errorf("reading the primary key of %s: %w", r.name, err)
		}
		tables[r.name] = t
	}
	refs, err := readReferences(ctx, db)
	if err != nil {
		return nil, err
	}
	return fkOrder(tables, refs)
}

func readColumns(ctx context.Context, db pgx.Tx, oid uint32) ([]column, error) {
	rows, err := db.Query(ctx, `
		SELECT a.attname, t.typname, a.attidentity <> ''
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.name, &c.typ, &c.identity)
	})
}

func readKey(ctx context.Context, db pgx.Tx, oid uint32) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT a.attname
		FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indrelid = $1 AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, oid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// readReferences maps each table to the tables its foreign keys name.
func readReferences(ctx context.Context, db pgx.Tx) (map[string][]string, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT f.relname, r.relname
		FROM pg_constraint c
		JOIN pg_class f ON f.oid = c.conrelid
		JOIN pg_class r ON r.oid = c.confrelid
		WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`)
	if err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	refs := map[string][]string{}
	var from, to string
	_, err = pgx.ForEachRow(rows, []any{&from, &to}, func() error {
		refs[from] = append(refs[from], to)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	return refs, nil
}

// fkOrder sorts tables so that every table comes after the tables it
// refers to, by name among equals.
func fkOrder(tables map[string]table, refs map[string][]string) ([]table, error) {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	done := map[string]bool{}
	var out []table
	for len(out) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] || !refsDone(n, refs[n], tables, done) {
				continue
			}
			done[n], progress = true, true
			out = append(out, tables[n])
		}
		if !progress {
			return nil, fmt.Errorf("the target's foreign keys form a cycle among tables %v: the copy cannot order them", pending(names, done))
		}
	}
	return out, nil
}

// refsDone says whether every table n refers to (other than itself, and
// other than a table that is not copied) is placed already.
func refsDone(n string, to []string, tables map[string]table, done map[string]bool) bool {
	for _, r := range to {
		if _, copied := tables[r]; copied && r != n && !done[r] {
			return false
		}
	}
	return true
}

func pending(names []string, done map[string]bool) []string {
	var out []string
	for _, n := range names {
		if !done[n] {
			out = append(out, n)
		}
	}
	return out
}
