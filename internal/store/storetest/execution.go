package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testExecution(t *testing.T, d Driver) {
	t.Run("InsertGetRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		exec := newExecution("exec-1", "checkout", "ship", t0)
		exec.Stages[1].Output = json.RawMessage(`{"approved":true}`)
		exec.Stages[1].Judgment = &model.Judgment{Decision: model.DecisionApprove, Actor: "ada", Comment: "ok", At: t0.Add(time.Minute)}
		exec.Version, exec.Stages[0].Version = 1, 2 // stored as given (a start's execution is at 1)
		insertExecution(t, b, exec)

		got, err := b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		want := utcExecution(*exec)
		for i := range want.Stages {
			want.Stages[i].ExecutionID = "exec-1"
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("ExecutionGet:\n got %+v\nwant %+v", *got, want)
		}
		if names := stageNames(got.Stages); !slices.Equal(names, []string{"zeta", "alpha", "mid"}) {
			t.Fatalf("stages = %v, want pipeline order [zeta alpha mid]", names)
		}

		st, err := b.store.StageGet(b.ctx, "exec-1", "alpha")
		must(t, err)
		if !reflect.DeepEqual(*st, want.Stages[1]) {
			t.Fatalf("StageGet:\n got %+v\nwant %+v", *st, want.Stages[1])
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		failed := []model.ExecutionStatus{model.ExecutionFailed, model.ExecutionCanceled}
		// A running execution is not reopened: the write is guarded.
		wantErrIs(t, b.store.ExecutionReopen(b.ctx, store.ExecutionReopenParams{ID: "exec-1", From: failed}), store.ErrConflict)
		ended := t0.Add(time.Minute)
		must(t, b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{
			ID: "exec-1", From: []model.ExecutionStatus{model.ExecutionRunning}, To: model.ExecutionFailed, Reason: "boom", EndedAt: &ended,
		}))
		must(t, b.store.ExecutionReopen(b.ctx, store.ExecutionReopenParams{ID: "exec-1", From: failed}))
		got, err := b.store.ExecutionGet(b.ctx, "exec-1")
		must(t, err)
		if got.Status != model.ExecutionRunning || got.Reason != "" || got.EndedAt != nil {
			t.Fatalf("after reopen: status %s, reason %q, ended %v; want running, no reason, no end", got.Status, got.Reason, got.EndedAt)
		}
		wantErrIs(t, b.store.ExecutionReopen(b.ctx, store.ExecutionReopenParams{ID: "exec-1", From: failed}), store.ErrConflict)
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, newExecution("exec-1", "checkout", "ship", t0))
		err := b.store.ExecutionInsert(b.ctx, newExecution("exec-1", "checkout", "ship", t0))
		wantErrIs(t, err, store.ErrConflict)
	})

	t.Run("ListOrderAndFilters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// e2 and e3 share a creation time: the higher ID comes first.
		for _, e := range []*model.Execution{
			newExecution("e1", "checkout", "ship-checkout", t0),
			newExecution("e2", "checkout", "ship-checkout", t0.Add(time.Minute)),
			newExecution("e3", "billing", "ship-billing", t0.Add(time.Minute)),
			newExecution("e4", "checkout", "hotfix", t0.Add(2*time.Minute)),
		} {
			insertExecution(t, b, e)
		}
		must(t, b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{
			ID: "e1", From: []model.ExecutionStatus{model.ExecutionRunning}, To: model.ExecutionFailed, Reason: "boom",
		}))

		cases := []struct {
			name   string
			params store.ExecutionListParams
			want   []string
		}{
			{"All", store.ExecutionListParams{}, []string{"e4", "e3", "e2", "e1"}},
			{"Application", store.ExecutionListParams{Application: "checkout"}, []string{"e4", "e2", "e1"}},
			{"Pipeline", store.ExecutionListParams{Pipeline: "ship-checkout"}, []string{"e2", "e1"}},
			{"Status", store.ExecutionListParams{Statuses: []model.ExecutionStatus{model.ExecutionFailed}}, []string{"e1"}},
			{"Statuses", store.ExecutionListParams{Statuses: []model.ExecutionStatus{model.ExecutionFailed, model.ExecutionRunning}}, []string{"e4", "e3", "e2", "e1"}},
			{"Limit", store.ExecutionListParams{Limit: 2}, []string{"e4", "e3"}},
			{"Combined", store.ExecutionListParams{Application: "checkout", Statuses: []model.ExecutionStatus{model.ExecutionRunning}}, []string{"e4", "e2"}},
			{"NoMatch", store.ExecutionListParams{Application: "nope"}, nil},
			{"Applications", store.ExecutionListParams{Applications: []string{"billing", "nope"}}, []string{"e3"}},
			{"ApplicationsMany", store.ExecutionListParams{Applications: []string{"checkout", "billing"}}, []string{"e4", "e3", "e2", "e1"}},
			// Application and Applications both apply.
			{"ApplicationAndApplications", store.ExecutionListParams{Application: "checkout", Applications: []string{"billing"}}, nil},
			{"Before", store.ExecutionListParams{Before: &store.ExecutionCursor{CreatedAt: t0.Add(2 * time.Minute), ID: "e4"}}, []string{"e3", "e2", "e1"}},
			// e2 shares e3's creation time and has a lower ID: it is older.
			{"BeforeSameTime", store.ExecutionListParams{Before: &store.ExecutionCursor{CreatedAt: t0.Add(time.Minute), ID: "e3"}}, []string{"e2", "e1"}},
			{"BeforeFiltered", store.ExecutionListParams{Application: "checkout", Before: &store.ExecutionCursor{CreatedAt: t0.Add(2 * time.Minute), ID: "e4"}}, []string{"e2", "e1"}},
			{"BeforeOldest", store.ExecutionListParams{Before: &store.ExecutionCursor{CreatedAt: t0, ID: "e1"}}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.ExecutionList(b.ctx, tc.params)
				must(t, err)
				if ids := executionIDs(got); !slices.Equal(ids, tc.want) {
					t.Fatalf("ExecutionList(%+v) = %v, want %v", tc.params, ids, tc.want)
				}
				for _, e := range got {
					if names := stageNames(e.Stages); !slices.Equal(names, []string{"zeta", "alpha", "mid"}) {
						t.Fatalf("execution %s stages = %v, want [zeta alpha mid]", e.ID, names)
					}
				}
			})
		}
	})

	t.Run("ListTriggerActorTime", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		e1 := newExecution("e1", "checkout", "ship", t0)
		e2 := newExecution("e2", "checkout", "ship", t0.Add(time.Minute))
		e2.Trigger = model.Trigger{Kind: "deploy", Actor: "bob"}
		e3 := newExecution("e3", "checkout", "ship", t0.Add(2*time.Minute))
		e3.Trigger = model.Trigger{Kind: "rollback", Actor: "ada"}
		for _, e := range []*model.Execution{e1, e2, e3} {
			insertExecution(t, b, e)
		}
		cases := []struct {
			name   string
			params store.ExecutionListParams
			want   []string
		}{
			{"TriggerKind", store.ExecutionListParams{TriggerKind: "deploy"}, []string{"e2"}},
			{"Actor", store.ExecutionListParams{Actor: "ada"}, []string{"e3", "e1"}},
			{"ActorIsExact", store.ExecutionListParams{Actor: "ad"}, nil},
			{"TriggerAndActor", store.ExecutionListParams{TriggerKind: "manual", Actor: "ada"}, []string{"e1"}},
			// Since is inclusive, Until exclusive, in any time zone.
			{"Since", store.ExecutionListParams{Since: t0.Add(time.Minute).In(time.FixedZone("x", 3600))}, []string{"e3", "e2"}},
			{"Until", store.ExecutionListParams{Until: t0.Add(2 * time.Minute)}, []string{"e2", "e1"}},
			{"SinceUntil", store.ExecutionListParams{Since: t0.Add(time.Second), Until: t0.Add(2 * time.Minute)}, []string{"e2"}},
			{"UntilWithCursor", store.ExecutionListParams{Until: t0.Add(3 * time.Minute), Limit: 1,
				Before: &store.ExecutionCursor{CreatedAt: t0.Add(2 * time.Minute), ID: "e3"}}, []string{"e2"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.ExecutionList(b.ctx, tc.params)
				must(t, err)
				if ids := executionIDs(got); !slices.Equal(ids, tc.want) {
					t.Fatalf("ExecutionList(%+v) = %v, want %v", tc.params, ids, tc.want)
				}
			})
		}
	})

	t.Run("Recent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i := range 4 {
			insertExecution(t, b, newExecution(fmt.Sprintf("s%d", i), "checkout", "ship", t0.Add(time.Duration(i)*time.Minute)))
		}
		insertExecution(t, b, newExecution("h0", "checkout", "hotfix", t0))
		insertExecution(t, b, newExecution("o0", "billing", "other", t0.Add(time.Hour)))
		got, err := b.store.ExecutionRecent(b.ctx, store.ExecutionRecentParams{Pipelines: []string{"ship", "hotfix", "ship", "idle"}, PerPipeline: 2})
		must(t, err)
		// By pipeline, newest first, at most 2 each; a pipeline named twice counts once.
		if ids := executionIDs(got); !slices.Equal(ids, []string{"h0", "s3", "s2"}) {
			t.Fatalf("ExecutionRecent = %v, want [h0 s3 s2]", ids)
		}
		if got[1].Stages != nil || got[1].Status != model.ExecutionRunning || got[1].Trigger.Actor != "ada" {
			t.Fatalf("ExecutionRecent's execution = %+v, want the stored one without stages", got[1])
		}
		if got, err = b.store.ExecutionRecent(b.ctx, store.ExecutionRecentParams{}); err != nil || got != nil {
			t.Fatalf("ExecutionRecent of no pipelines = %v, %v; want nothing", got, err)
		}
		if _, err := b.store.ExecutionRecent(b.ctx, store.ExecutionRecentParams{Pipelines: []string{"ship"}, PerPipeline: store.MaxRecentPerPipeline + 1}); err == nil {
			t.Fatal("ExecutionRecent with too many per pipeline: want an error")
		}
	})

	t.Run("ListPages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// x2, x3 and x4 share a creation time, as do x5 and x6; apps alternate.
		times := []time.Duration{0, time.Minute, time.Minute, time.Minute, 2 * time.Minute, 2 * time.Minute, 3 * time.Minute}
		for i, d := range times {
			app := []string{"checkout", "billing"}[i%2]
			exec := newExecution(fmt.Sprintf("x%d", i+1), app, "ship-"+app, t0.Add(d))
			exec.Stages = nil
			insertExecution(t, b, exec)
		}
		cases := []struct {
			name   string
			params store.ExecutionListParams
			want   []string
		}{
			{"All", store.ExecutionListParams{}, []string{"x7", "x6", "x5", "x4", "x3", "x2", "x1"}},
			{"Applications", store.ExecutionListParams{Applications: []string{"checkout"}}, []string{"x7", "x5", "x3", "x1"}},
			{"Application", store.ExecutionListParams{Application: "billing"}, []string{"x6", "x4", "x2"}},
		}
		for _, tc := range cases {
			for _, size := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%s/PageSize%d", tc.name, size), func(t *testing.T) {
					var pages [][]string
					var got []string
					params := tc.params
					params.Limit = size
					for range len(tc.want) + 2 {
						page, err := b.store.ExecutionList(b.ctx, params)
						must(t, err)
						if len(page) == 0 {
							break
						}
						pages = append(pages, executionIDs(page))
						got = append(got, executionIDs(page)...)
						last := page[len(page)-1]
						// A cursor in another zone is the same position.
						params.Before = &store.ExecutionCursor{CreatedAt: last.CreatedAt.In(cet), ID: last.ID}
					}
					if !slices.Equal(got, tc.want) {
						t.Fatalf("pages of %d = %v, want %v in order, each once", size, pages, tc.want)
					}
				})
			}
		}
	})

	t.Run("ListDefaultLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range 55 {
				exec := newExecution(fmt.Sprintf("e%02d", i), "checkout", "ship", t0.Add(time.Duration(i)*time.Second))
				exec.Stages = nil
				if err := tx.ExecutionInsert(ctx, exec); err != nil {
					return err
				}
			}
			return nil
		}))
		got, err := b.store.ExecutionList(b.ctx, store.ExecutionListParams{})
		must(t, err)
		if len(got) != 50 || got[0].ID != "e54" {
			t.Fatalf("ExecutionList without a limit returned %d executions starting at %s, want 50 starting at e54", len(got), got[0].ID)
		}
	})
}

func stageNames(stages []model.Stage) []string {
	var names []string
	for _, s := range stages {
		names = append(names, s.Name)
	}
	return names
}

func executionIDs(execs []model.Execution) []string {
	var ids []string
	for _, e := range execs {
		ids = append(ids, e.ID)
	}
	return ids
}
