package stage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// ApplyWrites applies writes in order in one transaction; a lost race is
// ErrConflict (the engine runs the step again), except for an analysis
// record stored already, which is the same interval stored again.
func TestApplyWrites(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	ctx := t.Context()
	in := b.start(t, "exec-1", "v1", highlander(), clock)
	apply := func(ws ...Write) error {
		return b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return ApplyWrites(ctx, tx, ws) })
	}
	sg := model.ServerGroup{Name: "checkout-v001", Application: "checkout", Environment: "local", Sequence: 1, Version: "v1",
		Role: model.RoleProduction, Status: model.ServerGroupCreating, Instances: 1, ExecutionID: "exec-1"}
	up, weight := model.ServerGroupUp, 100
	rec := store.AnalysisRecord{ExecutionID: "exec-1", Stage: "deploy", Sequence: 1, StartedAt: clock, EndedAt: clock.Add(time.Minute),
		Outcome: "pass", Measurements: json.RawMessage(`{}`), Verdict: json.RawMessage(`{}`)}

	// In order: the update sees the insert before it.
	if err := apply(ServerGroupInsert{Group: sg}, ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Status: &up, Weight: &weight,
		From: []model.ServerGroupStatus{model.ServerGroupCreating}}}, AnalysisInsert{Record: rec}); err != nil {
		t.Fatal(err)
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupUp, 100, false)

	// The same analysis record again is no conflict.
	if err := apply(AnalysisInsert{Record: rec}); err != nil {
		t.Errorf("storing an analysis record again: %v, want no error", err)
	}
	// A taken name, or a guard on a status that moved, is a conflict, and
	// nothing of the transaction is kept.
	zero := 0
	err := apply(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Weight: &zero}}, ServerGroupInsert{Group: sg})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "write 2 of 2 (stage.ServerGroupInsert)") {
		t.Errorf("inserting a taken name: %v, want ErrConflict naming write 2", err)
	}
	err = apply(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Status: &up, From: []model.ServerGroupStatus{model.ServerGroupCreating}}})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("a guard on a status that moved: %v, want ErrConflict", err)
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupUp, 100, false)
	recs, err := b.store.AnalysisList(ctx, in.Execution.ID)
	if err != nil || len(recs) != 1 {
		t.Errorf("analysis records %+v (%v), want 1", recs, err)
	}
}

// Two deploys of one environment that both saw the lease free both return
// a LeaseTake with their plan; the first to commit takes it, and the
// second's commit is a conflict (its step is made again and finds the
// lease held). A stage taking its own lease again is no conflict.
func TestLeaseTakeHasOneWinner(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	ctx := t.Context()
	first := b.start(t, "exec-1", "v1", highlander(), clock)
	second := b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Second))
	apply := func(ws ...Write) error {
		return b.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return ApplyWrites(ctx, tx, ws) })
	}
	key := leaseKey("checkout", "local")
	if _, held, err := b.store.LeaseGet(ctx, key); err != nil || held {
		t.Fatalf("LeaseGet before anyone took it: held=%v err=%v", held, err)
	}
	if err := apply(LeaseTake{Key: key, Holder: holderOf(first)}); err != nil {
		t.Fatalf("the first take: %v", err)
	}
	err := apply(LeaseTake{Key: key, Holder: holderOf(second)})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "exec-1") {
		t.Fatalf("the second take: %v, want ErrConflict naming exec-1", err)
	}
	if err := apply(LeaseTake{Key: key, Holder: holderOf(first)}); err != nil {
		t.Fatalf("the holder taking its lease again: %v", err)
	}
	holder, held, err := b.store.LeaseGet(ctx, key)
	if err != nil || !held || holder.ExecutionID != "exec-1" {
		t.Fatalf("LeaseGet: %+v held=%v err=%v, want exec-1", holder, held, err)
	}
	// Once the holder's stage ended, the lease is free.
	b.end(t, first, model.StageSucceeded)
	if _, held, err := b.store.LeaseGet(ctx, key); err != nil || held {
		t.Fatalf("LeaseGet after the holder ended: held=%v err=%v, want free", held, err)
	}
	if err := apply(LeaseTake{Key: key, Holder: holderOf(second)}); err != nil {
		t.Fatalf("taking a lease whose holder ended: %v", err)
	}
}
