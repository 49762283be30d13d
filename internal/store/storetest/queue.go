package storetest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testQueue covers the store's job queue (Store.NewQueue): a job enqueued
// in a transaction commits and rolls back with it, which is what the
// engine's exactly-once rests on, and jobs enqueued on their own are worked.
func testQueue(t *testing.T, d Driver) {
	t.Run("InsertTxCommitsAndRollsBackWithTheTransaction", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		q, worked := newTestQueue(t, b)
		errBoom := errors.New("boom")
		enqueue := func(name string, fail error) error {
			// A job enqueued past the transaction would wait for SQLite's
			// one writer, which the transaction holds: fail, not hang.
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
			defer cancel()
			return b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventExecutionStarted, Detail: name}); err != nil {
					return err
				}
				if err := q.InsertTx(ctx, tx, queueArgs{Name: name}, nil); err != nil {
					return err
				}
				return fail
			})
		}
		// The rolled back job would come first: River works the oldest
		// available job first, and this queue has one worker.
		wantErrIs(t, enqueue("rolled-back", errBoom), errBoom)
		must(t, enqueue("committed", nil))
		must(t, q.Insert(b.ctx, queueArgs{Name: "alone"}, nil))
		must(t, q.InsertMany(b.ctx, []river.InsertManyParams{{Args: queueArgs{Name: "many-1"}}, {Args: queueArgs{Name: "many-2"}}}))

		got := startAndWork(t, b, q, worked, 4)
		if want := []string{"alone", "committed", "many-1", "many-2"}; !slices.Equal(got, want) {
			t.Fatalf("worked jobs %q, want %q: the rolled back transaction's job must be gone with it", got, want)
		}
		events, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(events) != 1 || events[0].Detail != "committed" {
			t.Fatalf("events %+v, want only the committed transaction's", events)
		}
	})

	t.Run("InsertTxNeedsTheStoresTx", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		q, worked := newTestQueue(t, b)
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second) // as above: fail, not hang
		defer cancel()
		must(t, b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := q.InsertTx(ctx, foreignTx{}, queueArgs{Name: "foreign"}, nil); err == nil {
				t.Error("InsertTx with a Tx of no store succeeded; want an error")
			}
			// A wrapper that unwraps to the store's Tx enqueues in it.
			return q.InsertTx(ctx, wrappedTx{tx}, queueArgs{Name: "wrapped"}, nil)
		}))
		if got := startAndWork(t, b, q, worked, 1); !slices.Equal(got, []string{"wrapped"}) {
			t.Fatalf("worked jobs %q, want [wrapped]", got)
		}
	})

	// Idle workers do not poll: a job committed in a transaction is worked
	// at once after Wake, and one enqueued on its own wakes them itself.
	t.Run("WakeWorksAJobWithoutPolling", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		worked := make(chan string, 10)
		workers := river.NewWorkers()
		river.AddWorker(workers, &queueWorker{worked: worked})
		q, err := b.store.NewQueue(&river.Config{
			Logger:            slog.New(slog.DiscardHandler),
			Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
			Workers:           workers,
			FetchCooldown:     time.Millisecond,
			FetchPollInterval: time.Minute, // never, in this test
		})
		must(t, err)
		must(t, q.Start(b.ctx))
		t.Cleanup(func() { _ = q.Stop(context.WithoutCancel(b.ctx)) })
		time.Sleep(500 * time.Millisecond) // the first fetch and the listener are done
		waitWorked := func(name string) {
			t.Helper()
			select {
			case got := <-worked:
				if got != name {
					t.Fatalf("worked %q, want %q", got, name)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("job %q not worked 3s after it was enqueued: the workers were not woken", name)
			}
		}
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			return q.InsertTx(ctx, tx, queueArgs{Name: "in-tx"}, nil)
		}))
		q.Wake()
		waitWorked("in-tx")
		must(t, q.Insert(b.ctx, queueArgs{Name: "alone"}, nil))
		waitWorked("alone")
	})
}

// queueArgs is the suite's job: its name is reported when it is worked.
type queueArgs struct {
	Name string `json:"name"`
}

func (queueArgs) Kind() string { return "storetest_queue" }

type queueWorker struct {
	river.WorkerDefaults[queueArgs]
	worked chan<- string
}

func (w *queueWorker) Work(_ context.Context, job *river.Job[queueArgs]) error {
	w.worked <- job.Args.Name
	return nil
}

// newTestQueue builds the store's queue with one worker, which reports the
// name of every job it works.
func newTestQueue(t *testing.T, b *bundle) (store.Queue, <-chan string) {
	t.Helper()
	worked := make(chan string, 16)
	workers := river.NewWorkers()
	river.AddWorker(workers, &queueWorker{worked: worked})
	q, err := b.store.NewQueue(&river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:           workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		PollOnly:          true,
	})
	must(t, err)
	return q, worked
}

// startAndWork starts q, waits for n jobs to be worked, stops q, and returns
// the names of the jobs worked, sorted.
func startAndWork(t *testing.T, b *bundle, q store.Queue, worked <-chan string, n int) []string {
	t.Helper()
	must(t, q.Start(b.ctx))
	t.Cleanup(func() { _ = q.Stop(context.Background()) }) // when a check fails; before the store closes
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case name := <-worked:
			got = append(got, name)
		case <-timeout:
			t.Fatalf("after 20s %d of %d jobs were worked: %q", len(got), n, got)
		}
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 10*time.Second)
	defer cancel()
	must(t, q.Stop(stopCtx))
	for len(worked) > 0 {
		got = append(got, <-worked)
	}
	slices.Sort(got)
	return got
}

// foreignTx is a Tx of no store.
type foreignTx struct{ store.Tx }

// wrappedTx wraps a store's Tx, as a test's fault injector would.
type wrappedTx struct{ store.Tx }

func (w wrappedTx) Unwrap() store.Tx { return w.Tx }
