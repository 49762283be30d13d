package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func testEvent(t *testing.T, d Driver) {
	t.Run("InsertAndFilters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		events := []*model.Event{
			{Time: t0, Kind: model.EventExecutionStarted, Application: "checkout", ExecutionID: "e1", Trigger: "manual", Actor: "ada"},
			{Time: t0.Add(1 * time.Minute), Kind: model.EventDeployStarted, Application: "checkout", Environment: "staging", Version: "1.0.1"},
			{Time: t0.Add(2 * time.Minute), Kind: model.EventDeploySucceeded, Application: "checkout", Environment: "staging", Version: "1.0.1",
				CommitSHA: "abc", CommitTime: ptr(t0.Add(-time.Hour))},
			{Time: t0.Add(3 * time.Minute), Kind: model.EventDeployStarted, Application: "billing", Environment: "prod"},
			{Time: t0.Add(4 * time.Minute), Kind: model.EventManualStep, Application: "checkout", Action: "approve", Stage: "judge", Detail: "lgtm"},
		}
		for _, ev := range events {
			must(t, b.store.EventInsert(b.ctx, ev))
		}

		// IDs are drawn at commit, in commit order: listed in insertion
		// order, increasing.
		all, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(all) != len(events) {
			t.Fatalf("EventList returned %d events, want %d", len(all), len(events))
		}
		var ids []int64
		for _, ev := range all {
			if len(ids) > 0 && ev.ID <= ids[len(ids)-1] {
				t.Fatalf("event IDs must increase: %d after %d", ev.ID, ids[len(ids)-1])
			}
			ids = append(ids, ev.ID)
		}
		for i, got := range all {
			want := *events[i]
			want.ID = ids[i]
			want.Time = want.Time.UTC()
			want.CommitTime = utcPtr(want.CommitTime)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("event %d:\n got %+v\nwant %+v", i, got, want)
			}
		}

		cases := []struct {
			name   string
			params store.EventListParams
			want   []int64 // indexes into ids
		}{
			{"Application", store.EventListParams{Application: "checkout"}, []int64{0, 1, 2, 4}},
			{"Environment", store.EventListParams{Application: "checkout", Environment: "staging"}, []int64{1, 2}},
			{"Kinds", store.EventListParams{Kinds: []model.EventKind{model.EventDeployStarted, model.EventManualStep}}, []int64{1, 3, 4}},
			{"AfterID", store.EventListParams{AfterID: ids[2]}, []int64{3, 4}},
			{"BeforeID", store.EventListParams{BeforeID: ids[2]}, []int64{0, 1}},
			{"BeforeIDNewest", store.EventListParams{BeforeID: ids[3], Limit: 2, Newest: true}, []int64{1, 2}},
			{"AfterAndBeforeID", store.EventListParams{AfterID: ids[0], BeforeID: ids[3]}, []int64{1, 2}},
			{"Since", store.EventListParams{Since: t0.Add(2 * time.Minute).In(time.UTC)}, []int64{2, 3, 4}},
			{"SinceOtherZone", store.EventListParams{Since: t0.Add(2*time.Minute + store.TimePrecision)}, []int64{3, 4}},
			{"Limit", store.EventListParams{Limit: 2}, []int64{0, 1}},
			{"Newest", store.EventListParams{Limit: 2, Newest: true}, []int64{3, 4}},
			{"NewestFiltered", store.EventListParams{Application: "checkout", Limit: 3, Newest: true}, []int64{1, 2, 4}},
			{"Applications", store.EventListParams{Applications: []string{"billing", "nope"}}, []int64{3}},
			{"ApplicationsMany", store.EventListParams{Applications: []string{"checkout", "billing"}}, []int64{0, 1, 2, 3, 4}},
			{"ApplicationsNone", store.EventListParams{Applications: []string{"nope"}}, nil},
			{"ApplicationsNewest", store.EventListParams{Applications: []string{"checkout"}, Limit: 2, Newest: true}, []int64{2, 4}},
			{"ApplicationAndApplications", store.EventListParams{Application: "checkout", Applications: []string{"billing"}}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.store.EventList(b.ctx, tc.params)
				must(t, err)
				var want []int64
				for _, i := range tc.want {
					want = append(want, ids[i])
				}
				if g := eventIDs(got); !slices.Equal(g, want) {
					t.Fatalf("EventList(%+v) IDs = %v, want %v", tc.params, g, want)
				}
			})
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
			for range 105 {
				if err := tx.EventInsert(ctx, &model.Event{Time: t0, Kind: model.EventManualStep}); err != nil {
					return err
				}
			}
			return nil
		}))
		got, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(got) != 100 {
			t.Fatalf("EventList without a limit returned %d events, want 100", len(got))
		}
	})

	t.Run("AppendOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		err := b.store.EventInsert(b.ctx, &model.Event{Time: t0, Kind: model.EventRolledBack, Detail: "original"})
		must(t, err)

		wantAppendOnly(t, b, "Event", "event", "UPDATE event SET detail = 'changed'", "EventInsert", "EventList")
		got, err := b.store.EventList(b.ctx, store.EventListParams{})
		must(t, err)
		if len(got) != 1 || got[0].Detail != "original" {
			t.Fatalf("event changed: %+v", got)
		}
	})
}

func eventIDs(events []model.Event) []int64 {
	var ids []int64
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}
