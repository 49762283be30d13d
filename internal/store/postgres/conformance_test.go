package postgres_test

import (
	"context"
	"testing"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
	"github.com/gennaker/gennaker/internal/store/storetest"
	"github.com/gennaker/gennaker/test/pgenv"
)

// openFresh opens the store on a fresh database of the shared server.
func openFresh(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgenv.Shared(t).Database(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{
		Open: func(t *testing.T) store.Store { return openFresh(t) },
		Exec: func(ctx context.Context, st store.Store, stmt string) error {
			_, err := postgres.Pool(st.(*postgres.Store)).Exec(ctx, stmt)
			return err
		},
	})
}
