package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testLease(t *testing.T, d Driver) {
	b := setup(t, d)
	insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
	insertExecution(t, b, newExecution("exec-2", "checkout", "ship", t0))
	const key = "deploy/checkout/prod"
	first := store.LeaseHolder{ExecutionID: "exec-1", Stage: "zeta"}  // running
	second := store.LeaseHolder{ExecutionID: "exec-2", Stage: "zeta"} // running too

	acquire := func(h store.LeaseHolder, want bool, wantHolder store.LeaseHolder) {
		t.Helper()
		got, ok, err := b.store.LeaseAcquire(b.ctx, key, h)
		must(t, err)
		if ok != want || got.ExecutionID != wantHolder.ExecutionID || got.Stage != wantHolder.Stage || got.AcquiredAt.IsZero() {
			t.Fatalf("LeaseAcquire(%+v) = %+v, %v; want holder %+v, %v", h, got, ok, wantHolder, want)
		}
	}
	acquire(first, true, first)
	acquire(first, true, first)   // again: still the holder
	acquire(second, false, first) // held by a stage that has not ended

	// The holder's stage ends (however: a crash never releases anything):
	// the lease is free.
	end := func(exec string) {
		t.Helper()
		st, err := b.store.StageGet(b.ctx, exec, "zeta")
		must(t, err)
		st.Status = model.StageFailed
		must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}))
	}
	end("exec-1")
	acquire(second, true, second)
	acquire(first, false, second)

	// A holder whose stage does not exist holds nothing; keys are independent.
	const other = "deploy/checkout/staging"
	ghost := store.LeaseHolder{ExecutionID: "exec-gone", Stage: "deploy"}
	got, ok, err := b.store.LeaseAcquire(b.ctx, other, ghost)
	must(t, err)
	if !ok || got.ExecutionID != "exec-gone" {
		t.Fatalf("a free key: %+v, %v", got, ok)
	}
	got, ok, err = b.store.LeaseAcquire(b.ctx, other, second)
	must(t, err)
	if !ok || got.ExecutionID != "exec-2" {
		t.Fatalf("a key held by a stage that does not exist: %+v, %v", got, ok)
	}
	end("exec-2")
	acquire(first, true, first)
}

// Many callers racing for one key: exactly one gets the lease, and every
// caller is told the same holder. When the holder's stage ends, the rest
// race again and again exactly one wins.
func testLeaseRace(t *testing.T, d Driver) {
	b := setup(t, d)
	const n = 24
	const key = "deploy/checkout/prod"
	holders := make([]store.LeaseHolder, n)
	for i := range holders {
		id := fmt.Sprintf("exec-%02d", i)
		insertExecution(t, b, newExecution(id, "checkout", "ship", t0)) // its stage zeta is running
		holders[i] = store.LeaseHolder{ExecutionID: id, Stage: "zeta"}
	}
	race := func(contenders []store.LeaseHolder) store.LeaseHolder {
		t.Helper()
		type answer struct {
			holder store.LeaseHolder
			ok     bool
			err    error
		}
		answers := make([]answer, len(contenders))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, h := range contenders {
			wg.Go(func() {
				<-start
				got, ok, err := b.store.LeaseAcquire(b.ctx, key, h)
				answers[i] = answer{got, ok, err}
			})
		}
		close(start)
		wg.Wait()
		var winners []store.LeaseHolder
		for i, a := range answers {
			must(t, a.err)
			if a.ok {
				if a.holder.ExecutionID != contenders[i].ExecutionID {
					t.Fatalf("%s was told it holds the lease, but the holder is %+v", contenders[i].ExecutionID, a.holder)
				}
				winners = append(winners, a.holder)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%d of %d racing callers got the lease (%+v); want exactly 1", len(winners), len(contenders), winners)
		}
		for i, a := range answers {
			if a.holder.ExecutionID != winners[0].ExecutionID || a.holder.Stage != winners[0].Stage {
				t.Fatalf("%s was told the holder is %+v, the winner is %+v", contenders[i].ExecutionID, a.holder, winners[0])
			}
		}
		return winners[0]
	}
	first := race(holders)

	st, err := b.store.StageGet(b.ctx, first.ExecutionID, "zeta")
	must(t, err)
	st.Status = model.StageSucceeded
	must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}))
	rest := slices.DeleteFunc(slices.Clone(holders), func(h store.LeaseHolder) bool { return h.ExecutionID == first.ExecutionID })
	if second := race(rest); second.ExecutionID == first.ExecutionID {
		t.Fatalf("the ended stage %s got the lease again", first.ExecutionID)
	}
}
