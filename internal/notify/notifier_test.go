package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/notify/notifytest"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// clock is a settable clock for the notifier's retries.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Now().UTC()} }
func openStore(t *testing.T) store.Store {
	return openStoreAt(t, filepath.Join(t.TempDir(), "gennaker.db"))
}

func openStoreAt(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func apply(t *testing.T, st store.Store, notes ...model.Notification) {
	t.Helper()
	if _, err := st.ConfigApply(t.Context(), model.Config{Notifications: notes}); err != nil {
		t.Fatal(err)
	}
}

func appendEvents(t *testing.T, st store.Store, evs ...model.Event) {
	t.Helper()
	for i := range evs {
		if err := st.EventInsert(t.Context(), &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// pass runs a dispatch and a delivery pass.
func pass(t *testing.T, n *notify.Notifier) {
	t.Helper()
	if _, err := n.Dispatch(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func stats(t *testing.T, st store.Store, name string) store.NotifyStats {
	t.Helper()
	all, err := st.NotifyStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Notification == name {
			return s
		}
	}
	return store.NotifyStats{Notification: name}
}

func TestDeliveryRetriesThenSends(t *testing.T) {
	st, sink, clk := openStore(t), notifytest.NewSink(t), newClock()
	apply(t, st, model.Notification{Name: "hook", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL)}})
	n := notify.New(notify.Config{Store: st, Now: clk.Now, BaseURL: "http://g.test"})
	pass(t, n) // the first run starts the cursor at the log's end
	appendEvents(t, st, model.Event{Kind: model.EventExecutionFinished, Detail: "failed: boom", Application: "cart"})
	sink.FailNext(2)
	pass(t, n)
	if s := stats(t, st, "hook"); s.Failing != 1 || s.LastError == "" {
		t.Fatalf("after a failed attempt: %+v", s)
	}
	pass(t, n) // not due yet: no request
	if got := len(sink.Requests()); got != 1 {
		t.Fatalf("%d requests before the backoff passed", got)
	}
	clk.Add(10 * time.Second)
	pass(t, n)
	clk.Add(20 * time.Second)
	pass(t, n)
	counts := sink.Counts()
	if len(counts) != 1 {
		t.Fatalf("counts %v", counts)
	}
	for id, c := range counts {
		if c != 3 {
			t.Fatalf("delivery %s tried %d times, want 3 (two failures, one success)", id, c)
		}
	}
	s := stats(t, st, "hook")
	if s.Sent != 1 || s.Pending != 0 || s.Failing != 0 || s.Dead != 0 || s.LastSent == nil {
		t.Fatalf("after the retries: %+v", s)
	}
}

func TestDeadTargetShowsInStatus(t *testing.T) {
	st, sink, clk := openStore(t), notifytest.NewSink(t), newClock()
	good := notifytest.NewSink(t)
	apply(t, st,
		model.Notification{Name: "gone", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL)}},
		model.Notification{Name: "flaky", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL + "/flaky")}},
		model.Notification{Name: "good", Webhook: &model.WebhookTarget{URL: model.Inline(good.URL)}})
	n := notify.New(notify.Config{Store: st, Now: clk.Now, MaxAttempts: 3})
	pass(t, n)
	sink.AnswerAlways(http.StatusNotFound)
	appendEvents(t, st, model.Event{Kind: model.EventExecutionStarted, Application: "cart"})
	pass(t, n)
	if s := stats(t, st, "gone"); s.Dead != 1 || s.LastError == "" {
		t.Fatalf("a 404 is dead at once: %+v", s)
	}
	// flaky answers 404 too here; make it 503 to see attempts run out.
	sink.AnswerAlways(http.StatusServiceUnavailable)
	appendEvents(t, st, model.Event{Kind: model.EventExecutionStarted, Application: "cart"})
	for range 4 {
		pass(t, n)
		clk.Add(time.Hour)
	}
	s := stats(t, st, "flaky")
	if s.Dead != 2 || s.Pending != 0 {
		t.Fatalf("flaky: %+v", s)
	}
	if g := stats(t, st, "good"); g.Sent != 2 || g.Dead != 0 {
		t.Fatalf("a failing target held back another: %+v", g)
	}
}

func TestConcurrentNotifiersDeliverOnce(t *testing.T) {
	st, sink := openStore(t), notifytest.NewSink(t)
	apply(t, st, model.Notification{Name: "hook", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL)}},
		model.Notification{Name: "hook2", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL + "/2")}})
	first := notify.New(notify.Config{Store: st})
	pass(t, first)
	const events = 30
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	for range 3 {
		n := notify.New(notify.Config{Store: st, Poll: 5 * time.Millisecond})
		wg.Go(func() { n.Run(ctx) })
	}
	for i := range events {
		appendEvents(t, st, model.Event{Kind: model.EventExecutionStarted, Application: "cart", ExecutionID: fmt.Sprintf("e%d", i)})
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(sink.Counts()) < 2*events && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	counts := sink.Counts()
	if len(counts) != 2*events {
		t.Fatalf("%d distinct deliveries, want %d", len(counts), 2*events)
	}
	for id, c := range counts {
		if c != 1 {
			t.Errorf("delivery %s arrived %d times", id, c)
		}
	}
}
