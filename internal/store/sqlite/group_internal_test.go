package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func openGroupTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// mark stores one event tagged with name, what the tests look for.
func mark(ctx context.Context, tx store.Tx, name string) error {
	return tx.EventInsert(ctx, &model.Event{Kind: model.EventExecutionStarted, Application: name, Detail: "group test"})
}

func marked(t *testing.T, s *Store, name string) bool {
	t.Helper()
	evs, err := s.EventList(t.Context(), store.EventListParams{Application: name})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs) > 0
}

// await polls cond for up to 10 s.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Concurrent transactions share one commit, and each member's failure
// (an error, a panic, its caller giving up) undoes its own changes only.
func TestGroupCommitKeepsMembersWhole(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	const others = 7
	var wg sync.WaitGroup
	results := make([]error, others+1)
	inFirst := make(chan struct{})
	wg.Go(func() {
		results[0] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			close(inFirst)
			await(t, "the others to queue", func() bool { return s.group.waiting.Load() == others })
			return mark(ctx, tx, "m0")
		})
	})
	<-inFirst
	cancelCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 1; i <= others; i++ {
		name := fmt.Sprintf("m%d", i)
		wg.Go(func() {
			callCtx := ctx
			if i == 7 {
				callCtx = cancelCtx
			}
			defer func() {
				if r := recover(); r != nil {
					results[i] = fmt.Errorf("panicked: %v", r)
				}
			}()
			results[i] = s.InTx(callCtx, func(ctx context.Context, tx store.Tx) error {
				if err := mark(ctx, tx, name); err != nil {
					return err
				}
				switch i {
				case 5:
					return errors.New("member 5 fails")
				case 6:
					panic("member 6 panics")
				case 7:
					cancel() // its caller gives up while it runs
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range results {
		want := i < 5
		if (err == nil) != want {
			t.Errorf("member %d: err = %v, want success %v", i, err, want)
		}
		if got := marked(t, s, fmt.Sprintf("m%d", i)); got != want {
			t.Errorf("member %d: changes stored = %v, want %v", i, got, want)
		}
	}
	if c, m := s.group.commits.Load(), s.group.members.Load(); c != 1 || m != others+1 {
		t.Errorf("%d commits of %d members, want 1 of %d", c, m, others+1)
	}
}

// The first member's failure undoes its own changes only; those waiting
// for their turn go on.
func TestGroupFirstMemberFails(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	inFirst := make(chan struct{})
	var firstErr error
	wg.Go(func() {
		firstErr = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			close(inFirst)
			if err := mark(ctx, tx, "first"); err != nil {
				return err
			}
			await(t, "the others to queue", func() bool { return s.group.waiting.Load() == 3 })
			return errors.New("first fails")
		})
	})
	<-inFirst
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return mark(ctx, tx, fmt.Sprintf("o%d", i)) })
		})
	}
	wg.Wait()
	if firstErr == nil || marked(t, s, "first") {
		t.Errorf("the failed first member: err %v, stored %v", firstErr, marked(t, s, "first"))
	}
	for i, err := range errs {
		if err != nil || !marked(t, s, fmt.Sprintf("o%d", i)) {
			t.Errorf("member o%d: err %v, stored %v", i, err, marked(t, s, fmt.Sprintf("o%d", i)))
		}
	}
}

// A member that left the group open for someone waiting is committed by
// that waiter when it gives up instead of joining.
func TestGroupWaiterGivingUpCommits(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	s.group.waiting.Add(1) // a waiter about to give up
	returned := make(chan error, 1)
	go func() {
		returned <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return mark(ctx, tx, "left-open") })
	}()
	await(t, "the member to leave its group open", func() bool {
		select {
		case s.group.turn <- struct{}{}:
			open := s.group.open != nil
			<-s.group.turn
			return open
		default:
			return false
		}
	})
	select {
	case err := <-returned:
		t.Fatalf("InTx returned (%v) before its changes were committed", err)
	case <-time.After(50 * time.Millisecond):
	}
	if marked(t, s, "left-open") {
		t.Fatal("an uncommitted change is visible to readers")
	}
	s.group.giveUp()
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
	if !marked(t, s, "left-open") {
		t.Fatal("the change the waiter committed is not stored")
	}
}

// A member whose transaction SQLite rolled back as a whole (an I/O error,
// an interrupted write), and that did not notice, must not have the next
// members' changes committed while the group is told it failed: every
// member of that group fails with nothing stored, and later ones go on.
func TestGroupRolledBackUnderAMemberFailsTheGroup(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	inFirst := make(chan struct{})
	wg.Go(func() {
		errs[0] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			close(inFirst)
			await(t, "the others to queue", func() bool { return s.group.waiting.Load() == 3 })
			return mark(ctx, tx, "r0")
		})
	})
	<-inFirst
	wg.Go(func() {
		errs[1] = s.InTx(ctx, func(ctx context.Context, t store.Tx) error {
			if err := mark(ctx, t, "r1"); err != nil {
				return err
			}
			_, err := t.(*tx).sqlTx.ExecContext(ctx, "ROLLBACK") // what SQLite does on its own after some errors
			return err
		})
	})
	await(t, "the second in line", func() bool { return s.group.waiting.Load() == 1 })
	for i := 2; i < 4; i++ {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return mark(ctx, tx, fmt.Sprintf("r%d", i)) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		stored := marked(t, s, fmt.Sprintf("r%d", i))
		if i < 2 && (err == nil || stored) {
			t.Errorf("member %d of the rolled back transaction: err %v, stored %v; want an error and nothing stored", i, err, stored)
		}
		if i < 2 && !errors.Is(err, store.ErrBusy) {
			t.Errorf("member %d: err %v, want store.ErrBusy (try again)", i, err)
		}
		if i >= 2 && (err != nil || !stored) {
			t.Errorf("member %d after it: err %v, stored %v; want it stored", i, err, stored)
		}
	}
}

// Many writers, some failing: exactly the successful ones are stored, in
// fewer commits than transactions.
func TestGroupCommitUnderLoad(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	const writers, each = 32, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fail := (w*each+i)%7 == 0
				err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					if err := mark(ctx, tx, "load"); err != nil {
						return err
					}
					if fail {
						return errors.New("fails on purpose")
					}
					return nil
				})
				if (err != nil) != fail {
					t.Errorf("writer %d, call %d: err %v, want failure %v", w, i, err, fail)
				}
				if err == nil {
					mu.Lock()
					stored++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	evs, err := s.EventList(ctx, store.EventListParams{Application: "load", Limit: writers * each})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != stored {
		t.Errorf("%d events stored, want %d (the successful transactions)", len(evs), stored)
	}
	c, m := s.group.commits.Load(), s.group.members.Load()
	t.Logf("%d transactions in %d commits", m, c)
	if c >= m {
		t.Errorf("%d commits for %d transactions: none shared a commit", c, m)
	}
}
