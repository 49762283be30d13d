package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/notify/notifytest"
)

// reports is a KPIReports that answers a fixed report and keeps the queries.
type reports struct {
	mu      sync.Mutex
	queries []kpi.Query
}

func (r *reports) Report(_ context.Context, q kpi.Query) (*kpi.Report, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	one := 1.0 / 13
	return &kpi.Report{Query: q, Summary: kpi.Summary{Days: 7, Deploys: 12, Attempts: 13, ChangeFailureRate: &one},
		Previous: kpi.Summary{Days: 7, Deploys: 8}, Bands: kpi.Bands{DeploymentFrequency: kpi.BandHigh}}, nil
}

// The weekly digest goes out once per notification and ISO week, through
// a real webhook sink and a real SMTP server, however many replicas plan
// it and however often they restart; then again the next week.
func TestDigestOncePerWeek(t *testing.T) {
	st, sink := openStore(t), notifytest.NewSink(t)
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	digest := []model.NotifyEvent{model.NotifyKPIDigest}
	apply(t, st,
		model.Notification{Name: "hook", On: digest, Applications: []string{"cart", "checkout"}, Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL)}},
		model.Notification{Name: "mail", On: append(digest, model.NotifyRollback), Email: &model.EmailTarget{
			SMTP: smtp.Addr, From: "gennaker@example.com", To: []string{"leads@example.com"}, StartTLS: model.StartTLSNever}},
		model.Notification{Name: "ce", On: digest, CDEvents: &model.CDEventsTarget{URL: model.Inline(sink.URL + "/ce")}}, // cannot say it
		model.Notification{Name: "events", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL + "/events")}},       // on left out: no digest
	)
	clk := &clock{t: time.Date(2026, 12, 7, 8, 59, 0, 0, time.UTC)} // a Monday
	rep := &reports{}
	replica := func() *notify.Notifier {
		return notify.New(notify.Config{Store: st, Now: clk.Now, KPI: rep, BaseURL: "http://g.test"})
	}
	a, b := replica(), replica()
	pass(t, a) // starts the cursor
	plan := func(n *notify.Notifier) int {
		t.Helper()
		got, err := n.Digest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := plan(a); got != 0 {
		t.Fatalf("a minute early: %d digests planned", got)
	}
	clk.Add(time.Minute)
	if got := plan(a) + plan(b); got != 2 {
		t.Fatalf("two replicas at 09:00 planned %d digests, want 2 (hook and mail)", got)
	}
	// A log event meanwhile moves the cursor; the digest is not in its way.
	appendEvents(t, st, model.Event{Kind: model.EventRolledBack, Application: "cart", Environment: "prod", Version: "1.0"})
	pass(t, b)
	pass(t, a)
	clk.Add(3 * time.Hour)
	restarted := replica()
	if got := plan(restarted); got != 0 {
		t.Fatalf("a restart the same morning planned %d digests again", got)
	}
	pass(t, restarted)

	var digests []notifytest.Request
	for _, r := range sink.Requests() {
		if r.Header.Get(notify.HeaderEvent) == "kpi_digest" {
			digests = append(digests, r)
		}
	}
	if len(digests) != 1 {
		t.Fatalf("%d digests at the webhook, want 1: %v", len(digests), sink.Counts())
	}
	body := string(digests[0].Body)
	for _, want := range []string{`"event":"kpi_digest"`, `"notification":"hook"`, `"name":"deploys"`, `"value":12`, `"previous":8`,
		`"band":"high"`, `"summary":"KPI digest of cart, checkout, 2026-11-30 to 2026-12-06"`, `"url":"http://g.test/kpi?by=day\u0026from=2026-11-30\u0026to=2026-12-07"`} {
		if !strings.Contains(body, want) {
			t.Errorf("webhook body lacks %s:\n%s", want, body)
		}
	}
	var digestMail, rollbackMail int
	for _, m := range smtp.Mail() {
		switch data := string(m.Data); {
		case strings.Contains(data, "X-Gennaker-Event: kpi_digest"):
			digestMail++
			if !strings.Contains(data, "Deploys: 12, high (before: 8; +50%, better)") {
				t.Errorf("digest mail:\n%s", data)
			}
		case strings.Contains(data, "X-Gennaker-Event: rollback"):
			rollbackMail++
		}
	}
	if digestMail != 1 || rollbackMail != 1 {
		t.Errorf("%d digest mails and %d rollback mails, want 1 and 1", digestMail, rollbackMail)
	}
	rep.mu.Lock()
	q := rep.queries[0]
	rep.mu.Unlock()
	if !q.From.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) || !q.To.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("report period %s to %s", q.From, q.To)
	}

	// A notification applied during the day gets this week's digest at
	// the next look, a minute later at most; the others do not get it again.
	apply(t, st,
		model.Notification{Name: "hook", On: digest, Applications: []string{"cart", "checkout"}, Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL)}},
		model.Notification{Name: "mail", On: append(digest, model.NotifyRollback), Email: &model.EmailTarget{
			SMTP: smtp.Addr, From: "gennaker@example.com", To: []string{"leads@example.com"}, StartTLS: model.StartTLSNever}},
		model.Notification{Name: "late", On: digest, Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL + "/late")}})
	if got := plan(restarted); got != 0 {
		t.Fatalf("planned %d digests within the minute", got)
	}
	clk.Add(time.Minute)
	if got := plan(restarted) + plan(a) + plan(b); got != 1 {
		t.Fatalf("planned %d digests for the notification applied late, want 1", got)
	}
	pass(t, a)
	late := 0
	for _, r := range sink.Requests() {
		if r.Header.Get(notify.HeaderEvent) == "kpi_digest" && strings.Contains(string(r.Body), `"notification":"late"`) {
			late++
		}
	}
	if late != 1 {
		t.Errorf("the notification applied late got %d digests, want 1", late)
	}

	// The next Monday, the next digest.
	clk.Add(7 * 24 * time.Hour)
	if got := plan(restarted) + plan(a); got != 3 {
		t.Fatalf("next week: %d digests planned, want 3", got)
	}
	pass(t, a)
	ids := map[string]bool{}
	for _, r := range sink.Requests() {
		if r.Header.Get(notify.HeaderEvent) == "kpi_digest" {
			ids[r.Delivery] = true
		}
	}
	if len(ids) != 4 {
		t.Errorf("%d distinct digest IDs at the webhook after two weeks, want 4 (hook twice, late twice)", len(ids))
	}
}

// Without KPI reports (a server the lead has not wired) nothing is planned.
func TestDigestNeedsReports(t *testing.T) {
	st := openStore(t)
	apply(t, st, model.Notification{Name: "hook", On: []model.NotifyEvent{model.NotifyKPIDigest}, Webhook: &model.WebhookTarget{URL: model.Inline("http://127.0.0.1:1/x")}})
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	n := notify.New(notify.Config{Store: st, Now: clk.Now})
	pass(t, n)
	if got, err := n.Digest(t.Context()); got != 0 || err != nil {
		t.Fatalf("planned %d, %v", got, err)
	}
}
