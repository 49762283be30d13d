package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/postgres"
)

// A transaction's BEGIN goes with its first statement and its COMMIT with
// its held logs (pipe_tx.go). Whichever statement of such a batch fails,
// nothing of the transaction is stored, the error says which, and the
// connection goes back to the pool usable: the next transactions on every
// pooled connection succeed.
func TestPipelinedTransactionsFailWhole(t *testing.T) {
	t.Parallel()
	s := openFresh(t)
	ctx := t.Context()
	exec := &model.Execution{ID: "e1", Pipeline: "p", Application: "app", Status: model.ExecutionRunning}
	if err := s.ExecutionInsert(ctx, exec); err != nil {
		t.Fatal(err)
	}

	// The first statement (sent with BEGIN) fails.
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.ExecutionInsert(ctx, &model.Execution{ID: "e1", Pipeline: "p", Application: "app", Status: model.ExecutionRunning})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("inserting e1 twice as a transaction's first statement: %v, want ErrConflict", err)
	}

	// A held log (sent with COMMIT) fails: the writes before it are gone.
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.ExecutionInsert(ctx, &model.Execution{ID: "e2", Pipeline: "p", Application: "app", Status: model.ExecutionRunning}); err != nil {
			return err
		}
		bad := model.AuditEntry{Actor: "ada", Action: model.AuditRun, Object: "execution/e2", Outcome: "maybe"}
		return tx.AuditAppend(ctx, &bad)
	})
	if err == nil || !strings.Contains(err.Error(), "outcome must be ok, refused or failed") {
		t.Fatalf("a transaction whose held audit entry the database refuses at commit: %v, want the refusal", err)
	}
	if _, gerr := s.ExecutionGet(ctx, "e2"); !errors.Is(gerr, store.ErrNotFound) {
		t.Fatalf("after the refused commit, e2: %v, want not found (the transaction's writes rolled back)", gerr)
	}

	// Every pooled connection is clean: as many concurrent transactions as
	// the pool holds all commit.
	n := int(postgres.Pool(s).Config().MaxConns)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.ExecutionLock(ctx, "e1"); err != nil {
					return err
				}
				ev := model.Event{Kind: model.EventExecutionStarted, Application: "app", ExecutionID: "e1", Time: time.Now().UTC(), Detail: string(rune('a' + i%26))}
				return tx.EventInsert(ctx, &ev)
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction after the failures: %v", err)
		}
	}
	events, err := s.EventList(ctx, store.EventListParams{Application: "app", Limit: 1000})
	if err != nil || len(events) != n {
		t.Fatalf("events after %d transactions: %d, %v", n, len(events), err)
	}
}

// River may nest a transaction in the caller's (pgx.Tx.Begin): a savepoint
// of the pipelined transaction, whose rollback undoes only what came after
// it.
func TestPipelinedTransactionSavepoints(t *testing.T) {
	t.Parallel()
	s := openFresh(t)
	ctx := t.Context()
	insert := func(ctx context.Context, db interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}, id string) error {
		_, err := db.Exec(ctx, "INSERT INTO execution (id, pipeline, application, status, reason, params, trigger, spec, created_at) VALUES ($1, 'p', 'app', 'running', '', '{}', '{}', '{}', now())", id)
		return err
	}
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		ptx, ok := postgres.PgxTx(s, tx)
		if !ok {
			t.Fatal("no pgx.Tx for the store's transaction")
		}
		if err := insert(ctx, ptx, "kept"); err != nil {
			return err
		}
		sp, err := ptx.Begin(ctx)
		if err != nil {
			return err
		}
		if err := insert(ctx, sp, "undone"); err != nil {
			return err
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		sp, err = ptx.Begin(ctx)
		if err != nil {
			return err
		}
		if err := insert(ctx, sp, "released"); err != nil {
			return err
		}
		return sp.Commit(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"kept": true, "undone": false, "released": true} {
		_, err := s.ExecutionGet(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("execution %s stored: %v, want %v (%v)", id, got, want, err)
		}
	}
}
