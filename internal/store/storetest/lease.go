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
