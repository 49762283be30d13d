package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// writeOrder is a store that notes, per transaction, the writes that take
// a global lock on PostgreSQL (the audit chain's; the commit order's) or
// that come before them.
type writeOrder struct {
	store.Store
	mu  sync.Mutex
	txs [][]string
}

func (w *writeOrder) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	return w.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o := &orderedTx{Tx: tx}
		err := fn(ctx, o)
		w.mu.Lock()
		w.txs = append(w.txs, o.writes)
		w.mu.Unlock()
		return err
	})
}

type orderedTx struct {
	store.Tx
	writes []string
}

// Unwrap gives the store's queue the transaction it built.
func (o *orderedTx) Unwrap() store.Tx { return o.Tx }

func (o *orderedTx) AuditAppend(ctx context.Context, e *model.AuditEntry) error {
	o.writes = append(o.writes, "audit")
	return o.Tx.AuditAppend(ctx, e)
}

func (o *orderedTx) ExecutionInsert(ctx context.Context, e *model.Execution) error {
	o.writes = append(o.writes, "execution")
	return o.Tx.ExecutionInsert(ctx, e)
}

func (o *orderedTx) EventInsert(ctx context.Context, ev *model.Event) error {
	o.writes = append(o.writes, "event")
	return o.Tx.EventInsert(ctx, ev)
}

func (o *orderedTx) ChangeInsert(ctx context.Context, c *store.Change) error {
	o.writes = append(o.writes, "change")
	return o.Tx.ChangeInsert(ctx, c)
}

// An audited action appends its audit entry after its other writes and
// just before its logs (events, the change). On PostgreSQL the append holds the audit chain's lock, which every
// audited action of every replica needs, until the commit: taken first, it
// was held over the action's other writes and the commit-order lock's
// queue, and under 200 clients starts and approvals waited seconds on it
// (test/load).
func TestGuardedActionsAuditBeforeTheLogs(t *testing.T) {
	t.Parallel()
	raw := openStore(t)
	ctx := t.Context()
	_, err := raw.ConfigApply(ctx, model.Config{Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./checkout"}}}})
	must(t, err)
	st := &writeOrder{Store: raw}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{}})
	if err != nil {
		t.Fatal(err)
	}
	gated := model.Pipeline{Name: "gated", Application: "checkout", Stages: []model.StageSpec{{Name: "ok", Judgment: &model.JudgmentStage{}}}}
	lastWrite := func(what string) {
		t.Helper()
		st.mu.Lock()
		defer st.mu.Unlock()
		var audited []string
		for _, w := range st.txs {
			if slices.Contains(w, "audit") {
				audited = w
			}
		}
		// The audit entry comes after every write but the logs (events and
		// the change), which take the commit-order lock; the test's store
		// notes the execution's insert among the other writes.
		i := slices.Index(audited, "audit")
		logsAfter := i >= 0 && slices.Contains(audited[i+1:], "change")
		for _, w := range audited[max(i+1, 0):] {
			logsAfter = logsAfter && (w == "event" || w == "change")
		}
		if !logsAfter || (what == "start" && !slices.Contains(audited[:max(i, 0)], "execution")) {
			t.Errorf("%s: the audited transaction wrote %v; want its other writes, then the audit entry, then only its events and change", what, audited)
		}
		st.txs = nil
	}

	exec, err := eng.StartPipeline(ctx, gated, nil, model.Trigger{Actor: "token:ci"}, engine.Guard{Audit: &model.AuditEntry{Actor: "token:ci", Action: model.AuditRun}})
	must(t, err)
	lastWrite("start")

	// The judgment waits once its stage has run; set it waiting as the
	// stage would.
	must(t, raw.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ExecutionGet(ctx, exec.ID)
		if err != nil {
			return err
		}
		s := got.Stages[0]
		s.Status = model.StageWaiting
		return tx.StageUpdate(ctx, store.StageUpdateParams{Stage: &s, From: []model.StageStatus{got.Stages[0].Status}})
	}))
	st.txs = nil
	must(t, eng.Judge(ctx, engine.JudgeParams{ExecutionID: exec.ID, Decision: model.DecisionApprove, Actor: "token:approver",
		Guard: engine.Guard{Audit: &model.AuditEntry{Actor: "token:approver", Action: model.AuditApprove}}}))
	lastWrite("approve")

	exec, err = eng.StartPipeline(ctx, gated, nil, model.Trigger{Actor: "token:ci"}, engine.Guard{})
	must(t, err)
	st.txs = nil
	must(t, eng.Cancel(ctx, engine.CancelParams{ExecutionID: exec.ID, Actor: "token:ci",
		Guard: engine.Guard{Audit: &model.AuditEntry{Actor: "token:ci", Action: model.AuditCancel}}}))
	lastWrite("cancel")
}
