package sqlite

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// sqlQueries holds every named query of queries/*.sql.
var sqlQueries = mustLoadQueries(queryFiles, "queries")

// mustLoadQueries reads the "-- name: X" sections of every .sql file in dir.
// A broken file is a bug in the binary, so it panics at init.
func mustLoadQueries(fsys fs.FS, dir string) map[string]string {
	queries, err := loadQueries(fsys, dir)
	if err != nil {
		panic(err)
	}
	return queries
}

func loadQueries(fsys fs.FS, dir string) (map[string]string, error) {
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
		if err := parseQueries(path, string(data), queries); err != nil {
			return nil, err
		}
	}
	return queries, nil
}

// parseQueries adds the named sections of one file to queries. Text before
// the first "-- name:" line is the file's comment and is ignored.
func parseQueries(path, text string, queries map[string]string) error {
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

// query returns the SQL of a named query. Names are constants of this
// package, so an unknown one is a bug: it panics, and any test finds it.
func query(name string) string {
	q, ok := sqlQueries[name]
	if !ok {
		panic(fmt.Sprintf("sqlite: no query named %q in queries/*.sql", name))
	}
	return q
}
