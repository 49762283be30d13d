package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testCommitOrder checks the promise the outbox and the event log's
// ?after= readers rest on: IDs are commit-ordered, so a reader that tails a
// log by "after the last ID I saw" never skips an entry, even while many
// transactions that insert entries commit at once and in any order. Under
// SQLite's single writer this holds by construction; a store with
// concurrent writers (PostgreSQL) must earn it.
func testCommitOrder(t *testing.T, d Driver) {
	const writers, each = 8, 25

	// race runs writers that each insert `each` entries, one per
	// transaction, holding the transaction open a random moment after the
	// insert, while tail reads entries after the last ID it saw; it returns
	// the key of every entry written ("w/i": IDs are drawn at commit) and
	// of every entry the reader saw, in reading order.
	race := func(t *testing.T, b *bundle, insert func(ctx context.Context, tx store.Tx, key string) error,
		tail func(ctx context.Context, after int64) ([]keyed, error)) (written, read []string) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		done := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for i := range each {
					err := b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
						key := fmt.Sprintf("%d/%d", w, i)
						if err := insert(ctx, tx, key); err != nil {
							return err
						}
						time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
						mu.Lock()
						written = append(written, key)
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		go func() { wg.Wait(); close(done) }()
		var last int64
		for {
			finished := false
			select {
			case <-done:
				finished = true // every commit is in: read until the tail is empty
			default:
			}
			got, err := tail(b.ctx, last)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range got {
				if e.id <= last {
					t.Fatalf("read id %d after %d: a tail must get IDs in increasing order", e.id, last)
				}
				last = e.id
				read = append(read, e.key)
			}
			// One read after the last commit is not enough: a tail reads
			// a page at a time, and a reader that fell behind under load
			// has more than a page left to read.
			if finished && len(got) == 0 {
				return written, read
			}
		}
	}
	check := func(t *testing.T, written, read []string) {
		t.Helper()
		if len(written) != writers*each {
			t.Fatalf("%d entries written, want %d", len(written), writers*each)
		}
		seen := map[string]bool{}
		for _, key := range read {
			seen[key] = true
		}
		var skipped []string
		for _, key := range written {
			if !seen[key] {
				skipped = append(skipped, key)
			}
		}
		if len(skipped) > 0 {
			t.Fatalf("a reader tailing by the last ID it saw skipped %d committed entries (IDs not commit-ordered): %v", len(skipped), skipped)
		}
	}

	t.Run("Changes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		written, read := race(t, b, func(ctx context.Context, tx store.Tx, key string) error {
			return tx.ChangeInsert(ctx, &store.Change{ExecutionID: key, Application: "checkout", Status: "running"})
		}, func(ctx context.Context, after int64) ([]keyed, error) {
			cs, err := b.store.ChangeList(ctx, store.ChangeListParams{AfterID: after, Limit: 7})
			got := make([]keyed, len(cs))
			for i, c := range cs {
				got[i] = keyed{c.ID, c.ExecutionID}
			}
			return got, err
		})
		check(t, written, read)
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		written, read := race(t, b, func(ctx context.Context, tx store.Tx, key string) error {
			return tx.EventInsert(ctx, &model.Event{Kind: model.EventDeployStarted, Application: "checkout", Detail: key})
		}, func(ctx context.Context, after int64) ([]keyed, error) {
			evs, err := b.store.EventList(ctx, store.EventListParams{AfterID: after, Limit: 7})
			got := make([]keyed, len(evs))
			for i, ev := range evs {
				got[i] = keyed{ev.ID, ev.Detail}
			}
			return got, err
		})
		check(t, written, read)
	})

	t.Run("ChangeRetention", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(time.Hour)} {
			c := store.Change{ExecutionID: fmt.Sprintf("exec-%d", i), Application: "checkout", At: at}
			must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error { return tx.ChangeInsert(ctx, &c) }))
		}
		last, err := b.store.ChangeLast(b.ctx)
		must(t, err)
		n, err := b.store.ChangeDeleteBefore(b.ctx, t0.Add(30*time.Minute))
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d changes before +30m, want 2", n)
		}
		left, err := b.store.ChangeList(b.ctx, store.ChangeListParams{})
		must(t, err)
		if len(left) != 1 || left[0].ID != last || left[0].ExecutionID != "exec-2" || !left[0].At.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after deleting old changes: %+v, want only exec-2's (id %d, at %v)", left, last, t0.Add(time.Hour))
		}
	})
}

// keyed is an entry a tail read: its ID and the key its writer gave it.
type keyed struct {
	id  int64
	key string
}
