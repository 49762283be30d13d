package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/store"
)

func testAnalysis(t *testing.T, d Driver) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		insertExecution(t, b, newExecution("exec-2", "checkout", "ship", t0))

		rec := func(exec, stage string, seq int) store.AnalysisRecord {
			start := t0.Add(time.Duration(seq) * 30 * time.Second)
			return store.AnalysisRecord{
				ExecutionID: exec, Stage: stage, Sequence: seq,
				StartedAt: start, EndedAt: start.Add(30 * time.Second),
				Outcome: "pass", Score: 97.5, Reason: "error rate within bounds",
				Measurements: []byte(`{"canary":{"requests":120,"errors":1}}`),
				Verdict:      []byte(`{"pass":true}`),
			}
		}
		// Inserted out of order; listed by stage, then sequence.
		inserted := []store.AnalysisRecord{rec("exec-1", "zeta", 2), rec("exec-1", "mid", 1), rec("exec-1", "zeta", 1), rec("exec-2", "zeta", 1)}
		inserted[1].Measurements, inserted[1].Verdict, inserted[1].Outcome = nil, nil, "inconclusive"
		for i := range inserted {
			must(t, b.store.AnalysisInsert(b.ctx, &inserted[i]))
		}

		got, err := b.store.AnalysisList(b.ctx, "exec-1")
		must(t, err)
		want := []store.AnalysisRecord{inserted[1], inserted[2], inserted[0]}
		for i := range want {
			want[i].StartedAt, want[i].EndedAt = want[i].StartedAt.UTC(), want[i].EndedAt.UTC()
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("AnalysisList:\n got %+v\nwant %+v", got, want)
		}

		dup := rec("exec-1", "zeta", 2)
		wantErrIs(t, b.store.AnalysisInsert(b.ctx, &dup), store.ErrConflict)

		none, err := b.store.AnalysisList(b.ctx, "nope")
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("AnalysisList of an unknown execution = %+v, want none", none)
		}
	})
}
