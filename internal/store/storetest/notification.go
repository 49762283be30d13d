package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// testNotification checks the Notification config objects and the
// notification outbox: the guarded cursor, deliveries inserted once however
// many dispatchers race, claims that give each delivery to one worker, and
// the guarded finish.
func testNotification(t *testing.T, d Driver) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	delivery := func(id string, eventID int64) store.Delivery {
		return store.Delivery{ID: id, Notification: "ops", EventID: eventID, Pipeline: "release",
			Event: model.Event{ID: eventID, Kind: model.EventExecutionStarted, Application: "cart", ExecutionID: "exec-1"}, NextAt: t0}
	}

	t.Run("ConfigRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		n := model.Notification{Name: "ops", Applications: []string{"cart"}, On: []model.NotifyEvent{model.NotifyExecutionFailed},
			Slack: &model.SlackTarget{URL: model.FromSecret(model.SecretRef{Env: "SLACK_URL"})}}
		res, err := b.store.ConfigApply(b.ctx, model.Config{Notifications: []model.Notification{n}})
		must(t, err)
		if len(res.Created) != 1 || res.Created[0] != "Notification/ops" {
			t.Fatalf("created %v, want Notification/ops", res.Created)
		}
		got, err := b.store.NotificationGet(b.ctx, "ops")
		must(t, err)
		if got.Slack == nil || got.Slack.URL.Secret == nil || got.Slack.URL.Secret.Env != "SLACK_URL" || got.On[0] != model.NotifyExecutionFailed {
			t.Fatalf("read back %+v", got)
		}
		_, err = b.store.NotificationGet(b.ctx, "nope")
		wantErrIs(t, err, store.ErrNotFound)
		list, err := b.store.NotificationList(b.ctx)
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("listed %d notifications, want 1", len(list))
		}
	})

	t.Run("CursorIsGuarded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, ok, err := b.store.NotifyCursor(b.ctx)
		must(t, err)
		if ok {
			t.Fatal("a fresh store has a cursor")
		}
		_, err = b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: 3, To: 5})
		wantErrIs(t, err, store.ErrConflict)
		_, err = b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: 5})
		must(t, err)
		_, err = b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: 7, Deliveries: []store.Delivery{delivery("a", 6)}})
		wantErrIs(t, err, store.ErrConflict)
		at, ok, err := b.store.NotifyCursor(b.ctx)
		must(t, err)
		if !ok || at != 5 {
			t.Fatalf("cursor at %d (%v), want 5", at, ok)
		}
		// The refused dispatch inserted nothing.
		list, err := b.store.DeliveryList(b.ctx, store.DeliveryListParams{})
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("a refused dispatch inserted %d deliveries", len(list))
		}
	})

	t.Run("ConcurrentDispatchersInsertOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: 0})
		must(t, err)
		const dispatchers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, inserted := 0, 0
		for range dispatchers {
			wg.Go(func() {
				// Every dispatcher read the cursor at 0 and made the same deliveries.
				n, err := b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: 0, To: 2,
					Deliveries: []store.Delivery{delivery("d1", 1), delivery("d2", 2)}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
					inserted += n
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("dispatch: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 || inserted != 2 {
			t.Fatalf("%d dispatchers won, inserting %d deliveries; want 1 and 2", won, inserted)
		}
		// A restarted dispatcher that lost its cursor move inserts the same
		// deliveries again: a no-op.
		n, err := b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: 2, To: 3,
			Deliveries: []store.Delivery{delivery("d1", 1), delivery("d2", 2), delivery("d3", 3)}})
		must(t, err)
		if n != 1 {
			t.Fatalf("inserted %d, want only the new delivery", n)
		}
		list, err := b.store.DeliveryList(b.ctx, store.DeliveryListParams{})
		must(t, err)
		if len(list) != 3 {
			t.Fatalf("%d deliveries stored, want 3", len(list))
		}
	})

	t.Run("ClaimGivesEachToOne", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		const rows = 40
		var ds []store.Delivery
		for i := range rows {
			ds = append(ds, delivery(fmt.Sprintf("c%02d", i), int64(i+1)))
		}
		_, err := b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: rows, Deliveries: ds})
		must(t, err)
		var mu sync.Mutex
		claimed := map[string]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				me := fmt.Sprintf("worker-%d", w)
				for {
					got, err := b.store.DeliveryClaim(context.WithoutCancel(b.ctx), store.DeliveryClaimParams{
						Claimant: me, Now: t0.Add(time.Minute), Until: t0.Add(2 * time.Minute), Limit: 3})
					if err != nil {
						t.Errorf("%s: claim: %v", me, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						if prev, ok := claimed[d.ID]; ok {
							t.Errorf("delivery %s claimed by %s and %s", d.ID, prev, me)
						}
						claimed[d.ID] = me
						if d.Attempts != 1 || d.ClaimedBy != me || d.Event.Application != "cart" || d.Pipeline != "release" {
							t.Errorf("claimed %+v", d)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != rows {
			t.Fatalf("claimed %d deliveries, want %d", len(claimed), rows)
		}
		// An expired claim is taken over, counting another attempt.
		got, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Claimant: "late", Now: t0.Add(3 * time.Minute), Until: t0.Add(4 * time.Minute), Limit: 1})
		must(t, err)
		if len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("took over %+v, want one delivery at its second attempt", got)
		}
		// The first claimant lost it.
		err = b.store.DeliveryFinish(b.ctx, store.DeliveryFinishParams{ID: got[0].ID, Claimant: claimed[got[0].ID], Status: store.DeliverySent, At: t0})
		wantErrIs(t, err, store.ErrConflict)
		// A restarted single node releases every claim: all are due at once.
		n, err := b.store.DeliveryReleaseClaims(b.ctx)
		must(t, err)
		if n != rows {
			t.Fatalf("released %d claims, want %d", n, rows)
		}
		again, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Claimant: "restarted", Now: t0.Add(2 * time.Minute), Until: t0.Add(3 * time.Minute), Limit: 100})
		must(t, err)
		if len(again) != rows {
			t.Fatalf("claimed %d after the release, want %d", len(again), rows)
		}
	})

	t.Run("FinishAndStats", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: 3,
			Deliveries: []store.Delivery{delivery("f1", 1), delivery("f2", 2), delivery("f3", 3)}})
		must(t, err)
		now := t0.Add(time.Minute)
		got, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Claimant: "w", Now: now, Until: now.Add(time.Minute), Limit: 10})
		must(t, err)
		if len(got) != 3 {
			t.Fatalf("claimed %d, want 3", len(got))
		}
		must(t, b.store.DeliveryFinish(b.ctx, store.DeliveryFinishParams{ID: "f1", Claimant: "w", Status: store.DeliverySent, At: now}))
		must(t, b.store.DeliveryFinish(b.ctx, store.DeliveryFinishParams{ID: "f2", Claimant: "w", Status: store.DeliveryPending,
			NextAt: now.Add(time.Hour), Error: "HTTP 500", At: now}))
		must(t, b.store.DeliveryFinish(b.ctx, store.DeliveryFinishParams{ID: "f3", Claimant: "w", Status: store.DeliveryDead,
			Error: "HTTP 404", At: now.Add(time.Second)}))
		// Finished rows are no longer the claimant's.
		err = b.store.DeliveryFinish(b.ctx, store.DeliveryFinishParams{ID: "f1", Claimant: "w", Status: store.DeliverySent, At: now})
		wantErrIs(t, err, store.ErrConflict)
		// The failed one is not due before its next attempt.
		again, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Claimant: "w", Now: now.Add(time.Minute), Until: now.Add(2 * time.Minute)})
		must(t, err)
		if len(again) != 0 {
			t.Fatalf("claimed %d before their time", len(again))
		}
		again, err = b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Claimant: "w", Now: now.Add(time.Hour), Until: now.Add(2 * time.Hour)})
		must(t, err)
		if len(again) != 1 || again[0].ID != "f2" || again[0].Attempts != 2 || again[0].LastError != "HTTP 500" {
			t.Fatalf("claimed %+v, want f2 at its second attempt", again)
		}
		// Pruning keeps what is pending, and what is younger than the cut.
		n, err := b.store.DeliveryDeleteBefore(b.ctx, now.Add(-time.Hour))
		must(t, err)
		if n != 0 {
			t.Fatalf("pruned %d deliveries younger than the cut", n)
		}
		stats, err := b.store.NotifyStats(b.ctx)
		must(t, err)
		if len(stats) != 1 {
			t.Fatalf("stats %+v", stats)
		}
		s := stats[0]
		if s.Notification != "ops" || s.Sent != 1 || s.Pending != 1 || s.Failing != 1 || s.Dead != 1 ||
			s.LastSent == nil || !s.LastSent.Equal(now) || s.LastError != "HTTP 404" {
			t.Fatalf("stats %+v", s)
		}
		n, err = b.store.DeliveryDeleteBefore(b.ctx, time.Now().Add(time.Hour))
		must(t, err)
		if n != 2 {
			t.Fatalf("pruned %d deliveries, want the sent and the dead one", n)
		}
		left, err := b.store.DeliveryList(b.ctx, store.DeliveryListParams{})
		must(t, err)
		if len(left) != 1 || left[0].ID != "f2" {
			t.Fatalf("left %+v, want the pending f2", left)
		}
	})
}

// testNotificationDelete checks that deleting a notification takes its
// deliveries with it, and leaves the others'.
func testNotificationDelete(t *testing.T, d Driver) {
	b := setup(t, d)
	hook := &model.WebhookTarget{URL: model.Inline("http://hooks.example.com")}
	_, err := b.store.ConfigApply(b.ctx, model.Config{Notifications: []model.Notification{{Name: "ops", Webhook: hook}, {Name: "dev", Webhook: hook}}})
	must(t, err)
	ev := model.Event{ID: 1, Kind: model.EventExecutionStarted}
	_, err = b.store.NotifyDispatch(b.ctx, store.NotifyDispatchParams{From: -1, To: 1, Deliveries: []store.Delivery{
		{ID: "o1", Notification: "ops", EventID: 1, Event: ev}, {ID: "d1", Notification: "dev", EventID: 1, Event: ev},
	}})
	must(t, err)
	res, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindNotification, Name: "ops"})
	must(t, err)
	if len(res.Objects) != 1 || res.Objects[0] != "Notification/ops" {
		t.Fatalf("removed %v, want Notification/ops", res.Objects)
	}
	_, err = b.store.NotificationGet(b.ctx, "ops")
	wantErrIs(t, err, store.ErrNotFound)
	left, err := b.store.DeliveryList(b.ctx, store.DeliveryListParams{})
	must(t, err)
	if len(left) != 1 || left[0].ID != "d1" {
		t.Fatalf("deliveries left %+v, want dev's only", left)
	}
	_, err = b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindNotification, Name: "ops"})
	wantErrIs(t, err, store.ErrNotFound)
}
