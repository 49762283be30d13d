package notify

import (
	"errors"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		ev   model.Event
		want model.NotifyEvent
	}{
		{model.Event{Kind: model.EventExecutionStarted}, model.NotifyExecutionStarted},
		{model.Event{Kind: model.EventExecutionFinished, Detail: "succeeded"}, model.NotifyExecutionSucceeded},
		{model.Event{Kind: model.EventExecutionFinished, Detail: "failed: stage deploy: health check failed"}, model.NotifyExecutionFailed},
		{model.Event{Kind: model.EventExecutionFinished, Detail: "canceled: canceled by alice"}, model.NotifyExecutionCanceled},
		{model.Event{Kind: model.EventJudgmentWaiting}, model.NotifyJudgmentWaiting},
		{model.Event{Kind: model.EventCanaryVerdict, Action: "failed"}, model.NotifyCanaryVerdict},
		{model.Event{Kind: model.EventDeploySucceeded}, model.NotifyDeploySucceeded},
		{model.Event{Kind: model.EventDeployFailed}, model.NotifyDeployFailed},
		{model.Event{Kind: model.EventRolledBack}, model.NotifyRollback},
		{model.Event{Kind: model.EventWaveStarted}, ""},
		{model.Event{Kind: model.EventManualStep}, ""},
		{model.Event{Kind: model.EventExecutionFinished, Detail: "running"}, ""},
	} {
		got, ok := Classify(tc.ev)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Classify(%s %q) = %q, %v; want %q", tc.ev.Kind, tc.ev.Detail, got, ok, tc.want)
		}
	}
}

func TestPlanSelects(t *testing.T) {
	events := []model.Event{
		{ID: 1, Kind: model.EventExecutionStarted, Application: "cart", ExecutionID: "e1", Environment: "prod"},
		{ID: 2, Kind: model.EventExecutionFinished, Detail: "failed: boom", Application: "cart", ExecutionID: "e1", Environment: "prod"},
		{ID: 3, Kind: model.EventExecutionFinished, Detail: "failed: boom", Application: "shop", ExecutionID: "e2", Environment: "staging"},
		{ID: 4, Kind: model.EventJudgmentWaiting, Application: "cart", ExecutionID: "e3", Stage: "approve"},
		{ID: 5, Kind: model.EventManualStep, Application: "cart", ExecutionID: "e1"},
	}
	pipelines := map[string]string{"e1": "release", "e2": "release", "e3": "hotfix"}
	hook := &model.WebhookTarget{URL: model.Inline("http://x")}
	notes := []model.Notification{
		{Name: "all", Webhook: hook},
		{Name: "cart-failed", Applications: []string{"cart"}, On: []model.NotifyEvent{model.NotifyExecutionFailed}, Webhook: hook},
		{Name: "prod", Environments: []string{"prod"}, Webhook: hook},
		{Name: "hotfix", Pipelines: []string{"hotfix"}, Webhook: hook},
		{Name: "cde", CDEvents: &model.CDEventsTarget{URL: model.Inline("http://x")}},
	}
	got := map[string][]int64{}
	for _, d := range Plan(events, notes, pipelines, nil) {
		got[d.Notification] = append(got[d.Notification], d.EventID)
		if d.ID != DeliveryID(d.EventID, d.Notification) || d.Pipeline != pipelines[d.Event.ExecutionID] {
			t.Errorf("delivery %+v", d)
		}
	}
	want := map[string][]int64{
		"all":         {1, 2, 3, 4},
		"cart-failed": {2},
		// Event 4 names no environment: a selector on it does not exclude it.
		"prod":   {1, 2, 4},
		"hotfix": {4},
		// CDEvents has no judgment event.
		"cde": {1, 2, 3},
	}
	for name, ids := range want {
		if len(got[name]) != len(ids) {
			t.Errorf("%s got events %v, want %v", name, got[name], ids)
			continue
		}
		for i := range ids {
			if got[name][i] != ids[i] {
				t.Errorf("%s got events %v, want %v", name, got[name], ids)
			}
		}
	}
}

func TestDeliveryIDIsStable(t *testing.T) {
	a, b := DeliveryID(42, "ops"), DeliveryID(42, "ops")
	if a != b || len(a) != 32 {
		t.Fatalf("IDs %q and %q", a, b)
	}
	if DeliveryID(42, "ops2") == a || DeliveryID(421, "ops") == a {
		t.Fatal("different deliveries share an ID")
	}
}

func TestBackoffAndOutcome(t *testing.T) {
	var total time.Duration
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second,
		320 * time.Second, 640 * time.Second, 15 * time.Minute, 15 * time.Minute} {
		if got := Backoff(i + 1); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, want)
		}
		total += want
	}
	if total < 45*time.Minute || total > 65*time.Minute {
		t.Errorf("ten attempts span %s, want about an hour", total)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		attempt int
		err     error
		status  store.DeliveryStatus
		next    time.Time
	}{
		{1, nil, store.DeliverySent, now},
		{1, errors.New("HTTP 500"), store.DeliveryPending, now.Add(10 * time.Second)},
		{3, errors.New("HTTP 500"), store.DeliveryPending, now.Add(40 * time.Second)},
		{10, errors.New("HTTP 500"), store.DeliveryDead, now},
		{1, permanent(errors.New("HTTP 404")), store.DeliveryDead, now},
	} {
		status, next := Outcome(tc.attempt, 10, tc.err, now)
		if status != tc.status || !next.Equal(tc.next) {
			t.Errorf("Outcome(%d, %v) = %s at %s, want %s at %s", tc.attempt, tc.err, status, next, tc.status, tc.next)
		}
	}
}

func TestCompose(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	long := ""
	for range 100 {
		long += "word "
	}
	for _, tc := range []struct {
		ev                   model.Event
		summary, reason, url string
	}{
		{model.Event{Kind: model.EventExecutionFinished, Detail: "failed: stage deploy: canary analysis failed: error rate 4.1% > 1%\nfull record...",
			Application: "cart", Environment: "prod", Version: "1.4.2", ExecutionID: "ex1"},
			"cart prod: release 1.4.2 failed", "stage deploy: canary analysis failed: error rate 4.1% > 1%", "https://g.example/executions/ex1"},
		{model.Event{Kind: model.EventJudgmentWaiting, Application: "cart", Version: "1.4.2", ExecutionID: "ex1", Stage: "approve prod", Detail: "approve to go on"},
			"cart: release 1.4.2 waits for a judgment at stage approve prod", "approve to go on", "https://g.example/executions/ex1#stage-approve%20prod"},
		{model.Event{Kind: model.EventCanaryVerdict, Action: "failed", Application: "cart", Environment: "prod", Version: "1.4.2", ExecutionID: "ex1", Detail: long},
			"cart prod: canary of 1.4.2 failed", "", "https://g.example/executions/ex1/analysis"},
		{model.Event{Kind: model.EventRolledBack, Application: "cart", Environment: "prod", Version: "1.4.1", FromVersion: "1.4.2", Actor: "alice", Detail: "one-click rollback"},
			"cart prod: rolled back to 1.4.1 from 1.4.2 by alice", "one-click rollback", "https://g.example/applications/cart"},
		{model.Event{Kind: model.EventRolledBack, Application: "cart", Environment: "prod", Version: "1.4.1", FromVersion: "1.4.2", Actor: "alice", ExecutionID: "ex1", Detail: "automatic: health check failed"},
			"cart prod: rolled back to 1.4.1 from 1.4.2 automatically", "automatic: health check failed", "https://g.example/executions/ex1"},
	} {
		tc.ev.Time = at
		m := Compose(store.Delivery{ID: "d1", Notification: "n", Pipeline: "release", Event: tc.ev}, "https://g.example")
		if m.Summary != tc.summary || m.URL != tc.url || (tc.reason != "" && m.Reason != tc.reason) {
			t.Errorf("Compose(%s) = %q / %q / %q; want %q / %q / %q", tc.ev.Kind, m.Summary, m.Reason, m.URL, tc.summary, tc.reason, tc.url)
		}
		if n := len([]rune(m.Reason)); n > maxReason {
			t.Errorf("reason of %d characters", n)
		}
	}
}

// An SLO's burn-rate alert that names notifications (OpenSLO
// AlertNotificationTargets) goes only to them; one that names none goes
// to every notification that wants slo_alert.
func TestPlanRoutesSLOAlerts(t *testing.T) {
	events := []model.Event{
		{ID: 1, Kind: model.EventSLOAlertFiring, Application: "cart", Environment: "prod", Ref: "cart-availability", Action: "page-1h"},
		{ID: 2, Kind: model.EventSLOAlertResolved, Application: "cart", Environment: "prod", Ref: "cart-availability", Action: "ticket-1d"},
	}
	hook := &model.WebhookTarget{URL: model.Inline("http://x")}
	on := []model.NotifyEvent{model.NotifySLOAlert}
	notes := []model.Notification{
		{Name: "pager", On: on, Webhook: hook},
		{Name: "chat", On: on, Webhook: hook},
		{Name: "deploys", On: []model.NotifyEvent{model.NotifyDeployFailed}, Webhook: hook},
	}
	routes := map[string][]string{"cart-availability/page-1h": {"pager"}}
	got := map[string][]int64{}
	for _, d := range Plan(events, notes, nil, routes) {
		got[d.Notification] = append(got[d.Notification], d.EventID)
	}
	if len(got["pager"]) != 2 || len(got["chat"]) != 1 || got["chat"][0] != 2 || len(got["deploys"]) != 0 {
		t.Errorf("deliveries %v: want the page to pager only, the ticket's resolution to both", got)
	}
}
