// Package sqlfile reads named SQL queries from .sql files, shared by the
// stores so that SQL lives in .sql files and Go code names a query:
//
//	-- name: ExecutionGet
//	SELECT ... FROM execution WHERE id = @id;
//
// Text before the first "-- name:" line is the file's comment.
package sqlfile

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// MustLoad is Load for queries embedded in the binary: a broken file is a
// bug, so it panics (at init, where every test finds it).
func MustLoad(fsys fs.FS, dir string) map[string]string {
	queries, err := Load(fsys, dir)
	if err != nil {
		panic(err)
	}
	return queries
}

// Load reads the "-- name: X" sections of every .sql file in dir: the
// name line is followed by the query's SQL, up to the next name line.
func Load(fsys fs.FS, dir string) (map[string]string, error) {
	paths, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	queries := map[string]string{}
	for _, path := range paths {
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		if err := parse(path, string(data), queries); err != nil {
			return nil, err
		}
	}
	return queries, nil
}

// parse adds the named sections of one file to queries. Text before
// the first "-- name:" line is the file's comment and is ignored.
func parse(path, text string, queries map[string]string) error {
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		q := strings.TrimSpace(body.String())
		if q == "" {
			return fmt.Errorf("%s: query %q is empty: write its SQL below the name line", path, name)
		}
		if _, dup := queries[name]; dup {
			return fmt.Errorf("%s: query %q is defined twice: rename one", path, name)
		}
		queries[name] = q
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		if after, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "-- name:"); ok {
			if err := flush(); err != nil {
				return err
			}
			name = strings.TrimSpace(after)
			if name == "" {
				return fmt.Errorf("%s:%d: \"-- name:\" needs a query name", path, line)
			}
			body.Reset()
			continue
		}
		if name != "" {
			body.WriteString(sc.Text())
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// Migration is one schema step, read from a file named NNN_what.sql.
type Migration struct {
	Version int    // NNN
	Name    string // NNN_what
	SQL     string
}

// Migrations reads dir/NNN_name.sql files in version order. Versions are
// positive and strictly increasing.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	paths, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, p := range paths { // Glob sorts, and versions are zero-padded
		base := strings.TrimSuffix(path.Base(p), ".sql")
		num, _, _ := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version, as in 002_add_column.sql", p)
		}
		if len(out) > 0 && out[len(out)-1].Version >= version {
			return nil, fmt.Errorf("migration %s: version %d is not above %d: give each file a new, higher number", p, version, out[len(out)-1].Version)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: version, Name: base, SQL: string(data)})
	}
	return out, nil
}
