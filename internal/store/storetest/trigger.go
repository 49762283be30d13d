package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// A trigger's delivery is claimed once: the claim commits with its
// execution, a second claim gets the first's execution ID, and a claim
// rolled back with its transaction leaves the delivery free.
func testTriggerClaim(t *testing.T, d Driver) {
	b := setup(t, d)
	const key = "checkout/ship/push"
	claim := func(tx store.Queries, delivery, exec string) (string, bool) {
		t.Helper()
		id, ok, err := tx.TriggerClaim(b.ctx, store.TriggerClaimParams{Key: key, DeliveryID: delivery, ExecutionID: exec, At: t0})
		must(t, err)
		return id, ok
	}
	if id, ok := claim(b.store, "d-1", "exec-1"); !ok || id != "exec-1" {
		t.Fatalf("first claim of d-1 = %s, %v; want exec-1, true", id, ok)
	}
	if id, ok := claim(b.store, "d-1", "exec-2"); ok || id != "exec-1" {
		t.Fatalf("second claim of d-1 = %s, %v; want the first's exec-1, false", id, ok)
	}
	// Deliveries and keys are independent.
	if id, ok := claim(b.store, "d-2", "exec-2"); !ok || id != "exec-2" {
		t.Fatalf("claim of d-2 = %s, %v; want exec-2, true", id, ok)
	}
	id, ok, err := b.store.TriggerClaim(b.ctx, store.TriggerClaimParams{Key: "checkout/ship/other", DeliveryID: "d-1", ExecutionID: "exec-3"})
	must(t, err)
	if !ok || id != "exec-3" {
		t.Fatalf("claim of d-1 of another trigger = %s, %v; want exec-3, true", id, ok)
	}
	if id, found, err := b.store.TriggerFiringGet(b.ctx, key, "d-1"); err != nil || !found || id != "exec-1" {
		t.Fatalf("TriggerFiringGet(d-1) = %s, %v, %v; want exec-1, true", id, found, err)
	}
	if id, found, err := b.store.TriggerFiringGet(b.ctx, key, "d-9"); err != nil || found || id != "" {
		t.Fatalf("TriggerFiringGet(d-9) = %q, %v, %v; want not found", id, found, err)
	}

	// A claim in a transaction that rolls back is gone; within the
	// transaction a second claim sees the first.
	errRollback := errors.New("roll back")
	err = b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
		if id, ok := claim(tx, "d-3", "exec-4"); !ok || id != "exec-4" {
			t.Errorf("claim of d-3 in a transaction = %s, %v; want exec-4, true", id, ok)
		}
		if id, ok := claim(tx, "d-3", "exec-5"); ok || id != "exec-4" {
			t.Errorf("second claim of d-3 in the same transaction = %s, %v; want exec-4, false", id, ok)
		}
		return errRollback
	})
	wantErrIs(t, err, errRollback)
	if id, ok := claim(b.store, "d-3", "exec-6"); !ok || id != "exec-6" {
		t.Fatalf("claim of d-3 after the rollback = %s, %v; want exec-6, true", id, ok)
	}
}

// Many transactions claim one delivery at once, each inserting its own
// execution when it wins: exactly one wins, the losers get the winner's
// execution ID, and exactly one execution exists.
func testTriggerClaimRace(t *testing.T, d Driver) {
	b := setup(t, d)
	const n = 16
	const key = "checkout/ship/push"
	type answer struct {
		id  string
		ok  bool
		err error
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			mine := fmt.Sprintf("exec-%02d", i)
			var a answer
			a.err = b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
				id, ok, err := tx.TriggerClaim(ctx, store.TriggerClaimParams{Key: key, DeliveryID: "d-1", ExecutionID: mine})
				if err != nil || !ok {
					a.id, a.ok = id, ok
					return err
				}
				// Hold the claim a moment, so the others wait on it.
				time.Sleep(20 * time.Millisecond)
				if err := tx.ExecutionInsert(ctx, newExecution(mine, "checkout", "ship", t0)); err != nil {
					return err
				}
				a.id, a.ok = id, ok
				return nil
			})
			answers[i] = a
		})
	}
	close(start)
	wg.Wait()
	var winners []string
	for i, a := range answers {
		must(t, a.err)
		if a.ok {
			if a.id != fmt.Sprintf("exec-%02d", i) {
				t.Fatalf("caller %d won with execution %s, not its own", i, a.id)
			}
			winners = append(winners, a.id)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d of %d racing claims won (%v); want exactly 1", len(winners), n, winners)
	}
	for i, a := range answers {
		if a.id != winners[0] {
			t.Fatalf("caller %d was told execution %q, the winner is %s", i, a.id, winners[0])
		}
	}
	execs, err := b.store.ExecutionList(b.ctx, store.ExecutionListParams{Pipeline: "ship", Limit: 100})
	must(t, err)
	if len(execs) != 1 || execs[0].ID != winners[0] {
		t.Fatalf("executions after the race: %d, want only the winner %s", len(execs), winners[0])
	}
}

// A trigger's state: zero until written, pause and resume, the cursor
// round-trips byte for byte, and a firing's outcome keeps the last start.
func testTriggerState(t *testing.T, d Driver) {
	b := setup(t, d)
	const key = "checkout/ship/tags"
	st, err := b.store.TriggerStateGet(b.ctx, key)
	must(t, err)
	if st.Key != key || st.Paused || st.Cursor != nil || st.LastFiredAt != nil || st.LastError != "" {
		t.Fatalf("state of a new trigger = %+v, want the zero state", st)
	}

	must(t, b.store.TriggerPauseSet(b.ctx, store.TriggerPauseParams{Key: key, Paused: true, By: "ada@example.com", At: t0}))
	st, err = b.store.TriggerStateGet(b.ctx, key)
	must(t, err)
	if !st.Paused || st.PausedBy != "ada@example.com" || st.PausedAt == nil || !st.PausedAt.Equal(t0) || st.PausedAt.Location() != time.UTC {
		t.Fatalf("state after a pause = %+v, want paused by ada at %v (UTC)", st, t0)
	}

	cursor := []byte(`{"seen":["1.0.0","1.1.0"],"bytes":"\u0000\u00ff"}`)
	must(t, b.store.TriggerCursorSet(b.ctx, key, cursor))
	st, err = b.store.TriggerStateGet(b.ctx, key)
	must(t, err)
	if !bytes.Equal(st.Cursor, cursor) || !st.Paused {
		t.Fatalf("state after saving a cursor = cursor %q paused %v; want %q, still paused", st.Cursor, st.Paused, cursor)
	}
	next := []byte(`{"seen":["1.2.0"]}`)
	must(t, b.store.TriggerCursorSet(b.ctx, key, next))

	must(t, b.store.TriggerPauseSet(b.ctx, store.TriggerPauseParams{Key: key, Paused: false, By: "bob@example.com", At: t0.Add(time.Minute)}))
	fired := t0.Add(2 * time.Minute)
	must(t, b.store.TriggerFiredSet(b.ctx, store.TriggerFiredParams{Key: key, FiredAt: &fired}))
	must(t, b.store.TriggerFiredSet(b.ctx, store.TriggerFiredParams{Key: key, Error: "pipeline ship: parameter version: bad"}))
	st, err = b.store.TriggerStateGet(b.ctx, key)
	must(t, err)
	if st.Paused || st.PausedBy != "bob@example.com" || !bytes.Equal(st.Cursor, next) {
		t.Fatalf("state after a resume = %+v, want resumed by bob with cursor %s", st, next)
	}
	if st.LastFiredAt == nil || !st.LastFiredAt.Equal(fired) || st.LastError != "pipeline ship: parameter version: bad" {
		t.Fatalf("last firing = %v %q; want the start at %v kept and the later error", st.LastFiredAt, st.LastError, fired)
	}
	if st.LookedAt != nil {
		t.Fatalf("LookedAt = %v before any look was reported, want none", st.LookedAt)
	}
	looked := t0.Add(3 * time.Minute)
	must(t, b.store.TriggerFiredSet(b.ctx, store.TriggerFiredParams{Key: key, LookedAt: &looked}))
	must(t, b.store.TriggerFiredSet(b.ctx, store.TriggerFiredParams{Key: key, Error: "registry: 401"}))
	st, err = b.store.TriggerStateGet(b.ctx, key)
	must(t, err)
	if st.LookedAt == nil || !st.LookedAt.Equal(looked) || st.LastError != "registry: 401" || !st.LastFiredAt.Equal(fired) {
		t.Fatalf("after a look and an error: looked %v error %q fired %v; want the look at %v kept, the error, the start kept", st.LookedAt, st.LastError, st.LastFiredAt, looked)
	}

	// A cursor alone creates the state; the list is by key.
	must(t, b.store.TriggerCursorSet(b.ctx, "billing/ship/git", []byte(`"abc"`)))
	list, err := b.store.TriggerStateList(b.ctx)
	must(t, err)
	if len(list) != 2 || list[0].Key != "billing/ship/git" || list[1].Key != key || string(list[0].Cursor) != `"abc"` {
		t.Fatalf("TriggerStateList = %+v, want billing/ship/git then %s", list, key)
	}
	must(t, b.store.TriggerCursorSet(b.ctx, "billing/ship/git", nil))
	st, err = b.store.TriggerStateGet(b.ctx, "billing/ship/git")
	must(t, err)
	if st.Cursor != nil {
		t.Fatalf("cursor after clearing = %q, want nil", st.Cursor)
	}
}

// Deleting an application takes its triggers' state and claimed
// deliveries; deleting a pipeline its triggers' state (the deliveries stay
// with the executions). Other applications' and pipelines' stay, also one
// whose name starts like the deleted one's.
func testTriggerDelete(t *testing.T, d Driver) {
	b := setup(t, d)
	_, err := b.store.ConfigApply(b.ctx, model.Config{
		Applications: []model.Application{testApp("checkout"), testApp("checkout2")},
		Pipelines: []model.Pipeline{testPipeline("ship", "checkout"), testPipeline("ship2", "checkout"),
			testPipeline("other", "checkout2")},
	})
	must(t, err)
	keys := []string{"checkout/ship/push", "checkout/ship2/push", "checkout2/other/push"}
	for _, k := range keys {
		must(t, b.store.TriggerCursorSet(b.ctx, k, []byte(`1`)))
		_, _, err := b.store.TriggerClaim(b.ctx, store.TriggerClaimParams{Key: k, DeliveryID: "d-1", ExecutionID: "exec-" + k})
		must(t, err)
	}
	stateKeys := func() []string {
		t.Helper()
		list, err := b.store.TriggerStateList(b.ctx)
		must(t, err)
		var out []string
		for _, s := range list {
			out = append(out, s.Key)
		}
		return out
	}
	claimed := func(key string) bool {
		t.Helper()
		_, ok, err := b.store.TriggerClaim(b.ctx, store.TriggerClaimParams{Key: key, DeliveryID: "d-1", ExecutionID: "exec-again"})
		must(t, err)
		return !ok
	}

	_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindPipeline, Name: "ship"})
	must(t, err)
	if got := stateKeys(); !slices.Equal(got, []string{"checkout/ship2/push", "checkout2/other/push"}) {
		t.Fatalf("trigger states after deleting pipeline ship: %v", got)
	}
	if !claimed("checkout/ship/push") {
		t.Fatal("deleting a pipeline forgot its triggers' claimed deliveries; its executions stay, so a replay would start again")
	}

	_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindApplication, Name: "checkout"})
	must(t, err)
	if got := stateKeys(); !slices.Equal(got, []string{"checkout2/other/push"}) {
		t.Fatalf("trigger states after deleting application checkout: %v", got)
	}
	if claimed("checkout/ship2/push") || !claimed("checkout2/other/push") {
		t.Fatal("deleting application checkout must forget its claims and keep checkout2's")
	}
}
