package engine_test

import (
	"path/filepath"
	"testing"

	"github.com/gennaker/gennaker/internal/store/sqlite"
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
