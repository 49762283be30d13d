package store

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
)

// fakeTx is a transaction that commits and rolls back without a database.
type fakeTx struct{ riverdriver.ExecutorTx }

func (fakeTx) Commit(context.Context) error   { return nil }
func (fakeTx) Rollback(context.Context) error { return nil }
func (fakeTx) Begin(context.Context) (riverdriver.ExecutorTx, error) {
	return fakeTx{}, nil
}

func notifyInsert(t *testing.T, e riverdriver.Executor, queue string) {
	t.Helper()
	if err := e.NotifyMany(t.Context(), &riverdriver.NotifyManyParams{Topic: insertTopic, Payload: []string{`{"queue": "` + queue + `"}`}}); err != nil {
		t.Fatal(err)
	}
}

// pending drains what the listener would hand River now.
func pending(t *testing.T, l *wakeListener) []string {
	t.Helper()
	var out []string
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		n, err := l.WaitForNotification(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, n.Topic+" "+n.Payload)
	}
}

func TestWakeListenerDeliversInProcess(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name string
		do   func(l *wakeListener)
		want []string
	}{
		{name: "Wake says every queue has jobs, once however often it is called",
			do:   func(l *wakeListener) { l.wakeQueues([]string{"default"}); l.wakeQueues([]string{"default"}) },
			want: []string{`river_insert {"queue": "default"}`}},
		{name: "outside a transaction a notification is delivered at once",
			do:   func(l *wakeListener) { notifyInsert(t, wakeExecutor{l: l}, "a") },
			want: []string{`river_insert {"queue": "a"}`}},
		{name: "in River's transaction it is delivered when the transaction commits",
			do: func(l *wakeListener) {
				tx := &wakeTx{ExecutorTx: fakeTx{}, l: l}
				notifyInsert(t, tx, "a")
				if got := pending(t, l); len(got) != 0 {
					t.Errorf("delivered before the commit: %q", got)
				}
				must(t, tx.Commit(ctx))
			},
			want: []string{`river_insert {"queue": "a"}`}},
		{name: "a rolled back transaction's notification is dropped",
			do: func(l *wakeListener) {
				tx := &wakeTx{ExecutorTx: fakeTx{}, l: l}
				notifyInsert(t, tx, "a")
				must(t, tx.Rollback(ctx))
			}},
		{name: "a subtransaction's waits for its parent's commit",
			do: func(l *wakeListener) {
				tx := &wakeTx{ExecutorTx: fakeTx{}, l: l}
				sub, err := tx.Begin(ctx)
				must(t, err)
				notifyInsert(t, sub, "a")
				must(t, sub.Commit(ctx))
				if got := pending(t, l); len(got) != 0 {
					t.Errorf("delivered before the parent's commit: %q", got)
				}
				must(t, tx.Commit(ctx))
			},
			want: []string{`river_insert {"queue": "a"}`}},
		{name: "a store transaction's is dropped: its committer calls Wake",
			do: func(l *wakeListener) {
				tx := &wakeTx{ExecutorTx: fakeTx{}, l: l, foreign: true}
				notifyInsert(t, tx, "a")
				must(t, tx.Commit(ctx))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newWakeListener()
			tt.do(l)
			got := pending(t, l)
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("delivered %q, want %q", got, tt.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
