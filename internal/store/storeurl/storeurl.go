// Package storeurl opens the store a URL names: sqlite://DIR (the embedded
// default, the database file in a data directory) or postgres://... (a
// PostgreSQL database shared by several servers). It is the one place that
// links both drivers, for the server and the commands that work offline.
package storeurl

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// Kind is which driver a URL names.
type Kind string

const (
	// SQLite is the embedded store: one file, one server.
	SQLite Kind = "sqlite"
	// Postgres is a PostgreSQL database: one or several servers.
	Postgres Kind = "postgres"
)

// DBFile is the SQLite database's file name in a data directory.
const DBFile = "gennaker.db"

// Target is a parsed store URL.
type Target struct {
	Kind Kind
	// Dir is the data directory of a sqlite:// URL.
	Dir string
	// URL is the PostgreSQL connection string of a postgres:// URL.
	URL string
}

// Parse reads a store URL: sqlite://DIR (a relative or absolute directory:
// sqlite://.gennaker, sqlite:///var/lib/gennaker), or postgres://... /
// postgresql://... (any connection string pgx accepts).
func Parse(raw string) (Target, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		dir := strings.TrimPrefix(raw, "sqlite://")
		if dir == "" || strings.ContainsAny(dir, "?#") {
			return Target{}, fmt.Errorf("store URL %q: give the data directory, as in sqlite://.gennaker or sqlite:///var/lib/gennaker", raw)
		}
		return Target{Kind: SQLite, Dir: filepath.Clean(dir)}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return Target{Kind: Postgres, URL: raw}, nil
	}
	return Target{}, fmt.Errorf("store URL %q: use sqlite://DATA-DIR or postgres://USER:PASSWORD@HOST:5432/DATABASE", redact(raw))
}

// Open opens (creating and migrating as needed) the store t names.
func (t Target) Open(ctx context.Context, logger *slog.Logger) (store.Store, error) {
	switch t.Kind {
	case SQLite:
		return sqlite.Open(ctx, t.DBPath(), logger)
	case Postgres:
		return postgres.Open(ctx, t.URL, logger)
	}
	return nil, fmt.Errorf("store kind %q: use sqlite:// or postgres://", t.Kind)
}

// DBPath is the SQLite database file of an embedded store's data directory.
func (t Target) DBPath() string { return filepath.Join(t.Dir, DBFile) }

// String names the store without a password, for logs and errors.
func (t Target) String() string {
	if t.Kind == SQLite {
		return "sqlite://" + t.Dir
	}
	return redact(t.URL)
}

// HasPassword reports whether the URL itself holds a password (in its
// user:password@ part or a password= parameter), which then shows in the
// process list when given as a flag.
func (t Target) HasPassword() bool {
	if t.Kind != Postgres {
		return false
	}
	return redact(t.URL) != t.URL || strings.Contains(t.URL, "password=")
}

// redact hides the password of a URL (user:password@).
func redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return raw
	}
	if user, _, hasPW := strings.Cut(userinfo, ":"); hasPW {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return raw
}
