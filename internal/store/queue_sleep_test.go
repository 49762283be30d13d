package store_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

type sleepArgs struct {
	Name string `json:"name"`
}

func (sleepArgs) Kind() string { return "store_sleep_test" }

type sleepWorker struct {
	river.WorkerDefaults[sleepArgs]
	worked chan<- string
}

func (w *sleepWorker) Work(_ context.Context, job *river.Job[sleepArgs]) error {
	w.worked <- job.Args.Name
	return nil
}

// On the embedded store River's client sleeps while there is no job, and
// every way a job comes wakes it: an insert announced by Wake, a job's
// due time, and a job nobody announced (found by the safety look).
func TestQueueSleepsAndWakesForEveryJob(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	worked := make(chan string, 10)
	workers := river.NewWorkers()
	river.AddWorker(workers, &sleepWorker{worked: worked})
	q, err := st.NewQueue(&river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:           workers,
		FetchCooldown:     time.Millisecond,
		FetchPollInterval: time.Hour, // River's own safety fetch never comes in this test
	})
	if err != nil {
		t.Fatal(err)
	}
	asleep, ok := store.SetQueueSleep(q, 300*time.Millisecond, 4*time.Second)
	if !ok {
		t.Fatal("the embedded store's queue has no sleeper")
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.WithoutCancel(ctx)) })

	awaitAsleep := func(when string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !asleep(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("River's client still runs 10 s %s with no job", when)
			}
		}
	}
	awaitWorked := func(name string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		select {
		case got := <-worked:
			if got != name {
				t.Fatalf("worked %q, want %q", got, name)
			}
			return time.Since(start)
		case <-time.After(within):
			t.Fatalf("job %q not worked within %s: the sleeping workers were not woken", name, within)
			return 0
		}
	}

	awaitAsleep("after its start")
	// An insert in a store transaction, announced by Wake after the commit.
	if err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return q.InsertTx(ctx, tx, sleepArgs{Name: "announced"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	q.Wake()
	awaitWorked("announced", 3*time.Second) // before the safety look (4 s)

	// A job due later: the client sleeps until its due time.
	awaitAsleep("after the announced job")
	due := time.Now().Add(2 * time.Second)
	if err := q.Insert(ctx, sleepArgs{Name: "scheduled"}, &river.InsertOpts{ScheduledAt: due}); err != nil {
		t.Fatal(err)
	}
	awaitAsleep("while the scheduled job is not due")
	awaitWorked("scheduled", 8*time.Second)
	if early := time.Until(due); early > 0 {
		t.Fatalf("the scheduled job was worked %s before its time", early)
	}

	// A job committed without Wake: the safety look finds it.
	awaitAsleep("after the scheduled job")
	if err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return q.InsertTx(ctx, tx, sleepArgs{Name: "unannounced"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	awaitWorked("unannounced", 10*time.Second)
}
