package storetest

import (
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testTime checks that times given in any zone come back in UTC, at
// store.TimePrecision: truncated to it (t0 has nanoseconds), the same on
// every driver. Times inside JSON documents come back as JSON keeps them.
func testTime(t *testing.T, d Driver) {
	b := setup(t, d)
	t0 := t0.Add(238 * time.Nanosecond)
	exec := newExecution("exec-1", "checkout", "ship", t0)
	exec.EndedAt = ptr(t0.Add(time.Hour))
	exec.Stages[0].EndedAt = ptr(t0.Add(2 * time.Hour))
	exec.Stages[0].Judgment = &model.Judgment{Decision: model.DecisionReject, At: t0.Add(3 * time.Hour)}
	insertExecution(t, b, exec)
	ev := &model.Event{Time: t0, Kind: model.EventDeploySucceeded, CommitTime: ptr(t0.Add(-time.Hour))}
	err := b.store.EventInsert(b.ctx, ev)
	must(t, err)
	sg := newServerGroup("checkout", "prod", 1, model.ServerGroupUp)
	must(t, b.store.ServerGroupInsert(b.ctx, sg))
	rec := &store.AnalysisRecord{ExecutionID: "exec-1", Stage: "zeta", Sequence: 1, StartedAt: t0, EndedAt: t0.Add(time.Minute), Outcome: "pass"}
	must(t, b.store.AnalysisInsert(b.ctx, rec))

	gotExec, err := b.store.ExecutionGet(b.ctx, "exec-1")
	must(t, err)
	events, err := b.store.EventList(b.ctx, store.EventListParams{})
	must(t, err)
	gotSG, err := b.store.ServerGroupGet(b.ctx, sg.Environment, sg.Name)
	must(t, err)
	recs, err := b.store.AnalysisList(b.ctx, "exec-1")
	must(t, err)
	if len(events) != 1 || len(recs) != 1 {
		t.Fatalf("got %d events and %d analysis records, want 1 and 1", len(events), len(recs))
	}

	st := gotExec.Stages[0]
	checks := []struct {
		name      string
		got, want *time.Time
		inJSON    bool
	}{
		{"Execution.CreatedAt", &gotExec.CreatedAt, &exec.CreatedAt, false},
		{"Execution.EndedAt", gotExec.EndedAt, exec.EndedAt, false},
		{"Execution.Trigger.CommitTime", gotExec.Trigger.CommitTime, exec.Trigger.CommitTime, true},
		{"Stage.StartedAt", st.StartedAt, exec.Stages[0].StartedAt, false},
		{"Stage.EndedAt", st.EndedAt, exec.Stages[0].EndedAt, false},
		{"Stage.Deadline", st.Deadline, exec.Stages[0].Deadline, false},
		{"Stage.Judgment.At", &st.Judgment.At, &exec.Stages[0].Judgment.At, true},
		{"Event.Time", &events[0].Time, &ev.Time, false},
		{"Event.CommitTime", events[0].CommitTime, ev.CommitTime, false},
		{"ServerGroup.CreatedAt", &gotSG.CreatedAt, &sg.CreatedAt, false},
		{"ServerGroup.UpdatedAt", &gotSG.UpdatedAt, &sg.UpdatedAt, false},
		{"AnalysisRecord.StartedAt", &recs[0].StartedAt, &rec.StartedAt, false},
		{"AnalysisRecord.EndedAt", &recs[0].EndedAt, &rec.EndedAt, false},
	}
	for _, c := range checks {
		if c.got == nil {
			t.Errorf("%s: nil, want %v", c.name, c.want.UTC())
			continue
		}
		want := c.want.UTC().Truncate(store.TimePrecision)
		if c.inJSON {
			want = c.want.UTC()
		}
		if !c.got.Equal(want) || c.got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v (in UTC, at the store's precision)", c.name, *c.got, want)
		}
	}
}
