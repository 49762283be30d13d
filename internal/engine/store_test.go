package engine_test

import (
	"path/filepath"
	"testing"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/sqlite"
	"github.com/gennaker/gennaker/test/pgenv"
)

// openStore is a real SQLite store in the test's own directory, closed
// when the test ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPostgres is a real PostgreSQL store on a fresh database of the test
// binary's shared server (pgenv), closed when the test ends.
func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), pgenv.Shared(t).Database(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// storeKind is a store a suite runs on, with the engine set up as the
// server sets it up there.
type storeKind struct {
	name string
	open func(t *testing.T) store.Store
	// singleNode is engine.Config.SingleNode: the embedded store has one
	// server; PostgreSQL may have several, so claims are never dropped.
	singleNode bool
}

// storeKinds are the stores the engine's store-backed suites run on, as
// subtests named by kind.
var storeKinds = []storeKind{
	{name: "sqlite", open: func(t *testing.T) store.Store { return openStore(t) }, singleNode: true},
	{name: "postgres", open: func(t *testing.T) store.Store { return openPostgres(t) }},
}
