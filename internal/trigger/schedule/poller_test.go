package schedule

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

func TestPollerNightlyBerlin(t *testing.T) {
	t.Parallel()
	ref := trigger.Ref{
		Pipeline: model.Pipeline{Name: "nightly", Application: "cart"},
		Spec:     model.TriggerSpec{Name: "night", Schedule: &model.ScheduleTrigger{Cron: "0 2 * * *", TimeZone: "Europe/Berlin"}},
	}
	now := time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC)
	p := &Poller{Now: func() time.Time { return now }}

	firings, cur, err := p.Poll(t.Context(), ref, nil)
	if err != nil || len(firings) != 0 {
		t.Fatalf("first look: %v, %v; want no firings", firings, err)
	}
	next := p.NextRun(ref, now)
	if want := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("NextRun = %s, want %s (02:00 in Berlin)", next, want)
	}

	// Two replicas look at the same tick with the same cursor, a few
	// seconds apart: both name the same delivery.
	var ids []string
	for _, at := range []time.Time{next.Add(200 * time.Millisecond), next.Add(4 * time.Second)} {
		now = at
		firings, after, err := p.Poll(t.Context(), ref, cur)
		if err != nil || len(firings) != 1 {
			t.Fatalf("at the tick: %v, %v; want one firing", firings, err)
		}
		f := firings[0]
		ids = append(ids, f.DeliveryID)
		if f.Input["tick"] != "2026-12-05T02:00:00+01:00" || f.Input["cron"] != "0 2 * * *" {
			t.Errorf("input = %v", f.Input)
		}
		if f.Record.Kind != "schedule" || f.Ref.Key() != "cart/nightly/night" {
			t.Errorf("record %+v, key %s", f.Record, f.Ref.Key())
		}
		var payload map[string]string
		if err := json.Unmarshal(f.Record.Payload, &payload); err != nil || payload["tick"] != "2026-12-05T02:00:00+01:00" {
			t.Errorf("payload %s: %v", f.Record.Payload, err)
		}
		// Once its cursor is saved, the tick does not fire again.
		if again, _, _ := p.Poll(t.Context(), ref, after); len(again) != 0 {
			t.Errorf("after saving the cursor the tick fired again: %v", again)
		}
	}
	if ids[0] != "2026-12-05T01:00:00Z" || ids[1] != ids[0] {
		t.Errorf("delivery IDs %v, want the tick in UTC both times", ids)
	}
}

func TestPollerUnreadableCursorStartsOver(t *testing.T) {
	t.Parallel()
	ref := trigger.Ref{Spec: model.TriggerSpec{Name: "t", Schedule: &model.ScheduleTrigger{Cron: "* * * * *"}}}
	now := time.Date(2026, 12, 4, 11, 0, 30, 0, time.UTC)
	p := &Poller{Now: func() time.Time { return now }}
	firings, cur, err := p.Poll(t.Context(), ref, []byte(`{"tags":["v1"]}`))
	if err != nil || len(firings) != 0 {
		t.Fatalf("%v, %v; want nothing fired", firings, err)
	}
	if string(cur) != `{"last":"2026-12-04T11:00:30Z"}` {
		t.Errorf("cursor %s, want now", cur)
	}
}

func TestPollerBadSpec(t *testing.T) {
	t.Parallel()
	ref := trigger.Ref{Spec: model.TriggerSpec{Name: "t", Schedule: &model.ScheduleTrigger{Cron: "every day"}}}
	if _, _, err := (&Poller{}).Poll(t.Context(), ref, nil); err == nil {
		t.Error("a bad cron gave no error")
	}
	if !(&Poller{}).NextRun(ref, time.Now()).IsZero() {
		t.Error("a bad cron has a next run")
	}
}
