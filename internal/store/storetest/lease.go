package storetest

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testLease(t *testing.T, open func(t *testing.T) store.Store) {
	b := setup(t, open)
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
	acquire(first, true, first)                       // again: still the holder
	acquire(second, false, first)                     // held by a stage that has not ended
	must(t, b.store.LeaseRelease(b.ctx, key, second)) // not the holder: nothing happens
	acquire(second, false, first)

	// The holder's stage ends without releasing (a crash): the lease is free.
	st, err := b.store.StageGet(b.ctx, "exec-1", "zeta")
	must(t, err)
	st.Status = model.StageFailed
	must(t, b.store.StageUpdate(b.ctx, store.StageUpdateParams{Stage: st, From: []model.StageStatus{model.StageRunning}}))
	acquire(second, true, second)
	acquire(first, false, second)

	must(t, b.store.LeaseRelease(b.ctx, key, second))
	acquire(first, true, first) // released: anyone may take it

	// A holder whose stage does not exist holds nothing.
	must(t, b.store.LeaseRelease(b.ctx, key, first))
	ghost := store.LeaseHolder{ExecutionID: "exec-gone", Stage: "deploy"}
	acquire(ghost, true, ghost)
	acquire(second, true, second)

	// Keys are independent.
	got, ok, err := b.store.LeaseAcquire(b.ctx, "deploy/checkout/staging", first)
	must(t, err)
	if !ok || got.ExecutionID != "exec-1" {
		t.Fatalf("another key: %+v, %v", got, ok)
	}
}
