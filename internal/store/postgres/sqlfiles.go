package postgres

import (
	"embed"
	"fmt"

	"github.com/gennaker/gennaker/internal/store/sqlfile"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// sqlQueries holds every named query of queries/*.sql.
var sqlQueries = sqlfile.MustLoad(queryFiles, "queries")

// query returns the SQL of a named query. Names are constants of this
// package, so an unknown one is a bug: it panics, and any test finds it.
func query(name string) string {
	q, ok := sqlQueries[name]
	if !ok {
		panic(fmt.Sprintf("postgres: no query named %q in queries/*.sql", name))
	}
	return q
}
