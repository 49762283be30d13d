package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

func at(s string) time.Time {
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout += ":05"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// 2026-12-07 is a Monday (ISO week 50).
func TestDigestDue(t *testing.T) {
	mon := DefaultDigestSchedule
	for _, tc := range []struct {
		name        string
		s           DigestSchedule
		looked, now string
		slot        string
		due         bool
	}{
		{"before the first slot of the week", mon, "", "2026-12-07 08:59", "2026-11-30 09:00", false},
		{"at the slot", mon, "", "2026-12-07 09:00", "2026-12-07 09:00", true},
		{"a restart later that day looks again (what was planned is a no-op in the outbox)", mon, "", "2026-12-07 17:00", "2026-12-07 09:00", true},
		{"looked less than a minute ago", mon, "2026-12-07 09:00", "2026-12-07 09:00:59", "2026-12-07 09:00", false},
		{"looked a minute ago: look for notifications applied since", mon, "2026-12-07 09:00", "2026-12-07 09:01", "2026-12-07 09:00", true},
		{"looked last week: this week's is due", mon, "2026-11-30 09:00", "2026-12-07 09:00", "2026-12-07 09:00", true},
		{"up to a day late", mon, "2026-11-30 09:00", "2026-12-08 08:59", "2026-12-07 09:00", true},
		{"a day late: skipped", mon, "2026-11-30 09:00", "2026-12-08 09:00", "2026-12-07 09:00", false},
		{"the rest of the week", mon, "", "2026-12-12 23:00", "2026-12-07 09:00", false},
		{"sunday late", DigestSchedule{Weekday: time.Sunday, Hour: 23, Minute: 30}, "", "2026-12-07 09:00", "2026-12-06 23:30", true},
		{"friday afternoon, before it", DigestSchedule{Weekday: time.Friday, Hour: 16}, "", "2026-12-11 15:00", "2026-12-04 16:00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var looked time.Time
			if tc.looked != "" {
				looked = at(tc.looked)
			}
			slot, due := DigestDue(tc.s, looked, at(tc.now), DigestGrace, DigestRecheck)
			if !slot.Equal(at(tc.slot)) || due != tc.due {
				t.Errorf("DigestDue(%s, looked %s, now %s) = %s, %v; want %s, %v", tc.s, tc.looked, tc.now, slot, due, tc.slot, tc.due)
			}
		})
	}
}

func TestParseDigestSchedule(t *testing.T) {
	for in, want := range map[string]string{"mon 09:00": "Mon 09:00 UTC", "Friday 16:30": "Fri 16:30 UTC", " SUN 00:05 ": "Sun 00:05 UTC"} {
		s, err := ParseDigestSchedule(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseDigestSchedule(%q) = %s, %v; want %s", in, s, err, want)
		}
	}
	for _, bad := range []string{"", "monday", "mon 9", "mon 25:00", "someday 09:00", "09:00 mon"} {
		if _, err := ParseDigestSchedule(bad); err == nil || !strings.Contains(err.Error(), "such as \"mon 09:00\"") {
			t.Errorf("ParseDigestSchedule(%q): %v", bad, err)
		}
	}
}

// One delivery per notification that names kpi_digest, under an ID of
// the ISO week: the same whatever the day or hour of the slot in it.
func TestPlanDigests(t *testing.T) {
	notes := []model.Notification{
		{Name: "weekly", On: []model.NotifyEvent{model.NotifyKPIDigest}, Slack: &model.SlackTarget{}},
		{Name: "everything", Webhook: &model.WebhookTarget{}}, // on left out: every log event, no digest
		{Name: "failures", On: []model.NotifyEvent{model.NotifyExecutionFailed}, Email: &model.EmailTarget{}},
		{Name: "ce", On: []model.NotifyEvent{model.NotifyKPIDigest}, CDEvents: &model.CDEventsTarget{}},
		{Name: "mail", On: []model.NotifyEvent{model.NotifyRollback, model.NotifyKPIDigest}, Email: &model.EmailTarget{}},
	}
	got := PlanDigests(at("2026-12-07 09:00"), notes)
	if len(got) != 2 || got[0].Notification != "weekly" || got[1].Notification != "mail" {
		t.Fatalf("planned %+v", got)
	}
	d := got[0]
	if d.Event.Kind != DigestKind || !d.Event.Time.Equal(at("2026-12-07 09:00")) || d.Event.Detail != "2026-W50" || d.EventID != 0 {
		t.Errorf("delivery %+v", d)
	}
	if d.ID != DigestID("2026-W50", "weekly") || d.ID == got[1].ID {
		t.Errorf("IDs %s %s", d.ID, got[1].ID)
	}
	if other := PlanDigests(at("2026-12-10 17:00"), notes); other[0].ID != d.ID {
		t.Errorf("another slot in the same ISO week has another ID: %s", other[0].ID)
	}
	if next := PlanDigests(at("2026-12-14 09:00"), notes); next[0].ID == d.ID {
		t.Error("next week's digest has this week's ID")
	}
	// The log's events never plan a digest, even for notifications with on left out.
	if n := (model.Notification{}); n.Wants(model.NotifyKPIDigest, "", "", "") {
		t.Error("a notification without on: wants the digest")
	}
}

func TestDigestQuery(t *testing.T) {
	slot := at("2026-12-07 09:00")
	q := DigestQuery(slot, model.Notification{})
	if !q.From.Equal(at("2026-11-30 00:00")) || !q.To.Equal(at("2026-12-07 00:00")) || q.By != kpi.BucketDay ||
		q.Application != "" || q.Environment != "" || q.Readable != nil {
		t.Errorf("every application: %+v", q)
	}
	q = DigestQuery(slot, model.Notification{Applications: []string{"cart"}, Environments: []string{"prod"}})
	if q.Application != "cart" || q.Environment != "prod" || q.Readable != nil {
		t.Errorf("one application: %+v", q)
	}
	q = DigestQuery(slot, model.Notification{Applications: []string{"cart", "checkout"}, Environments: []string{"prod", "eu"}})
	if q.Application != "" || q.Environment != "" || q.Readable == nil || !q.Readable("checkout") || q.Readable("ledger") {
		t.Errorf("two applications: %+v", q)
	}
}

func fp(v float64) *float64 { return &v }

func digestReport() *kpi.Report {
	return &kpi.Report{
		Query: kpi.Query{From: at("2026-11-30 00:00"), To: at("2026-12-07 00:00"), By: kpi.BucketDay, Environment: "prod"},
		Summary: kpi.Summary{Days: 7, Deploys: 12, Attempts: 13, ChangeFailures: 1, ChangeFailureRate: fp(1.0 / 13),
			LeadTime: kpi.Dist{Count: 12, Median: fp(3 * 3600)}, Recovery: kpi.Dist{Count: 1, Median: fp(1800)}, StepsPerDeploy: fp(2.5)},
		Previous: kpi.Summary{Days: 7, Deploys: 8, Attempts: 8, ChangeFailureRate: fp(0), LeadTime: kpi.Dist{Count: 8, Median: fp(6 * 3600)},
			StepsPerDeploy: fp(3)},
		Bands: kpi.Bands{DeploymentFrequency: kpi.BandHigh, LeadTime: kpi.BandElite, ChangeFailureRate: kpi.BandHigh, RecoveryTime: kpi.BandElite},
	}
}

func TestComposeDigest(t *testing.T) {
	note := model.Notification{Name: "weekly", Applications: []string{"cart", "checkout"}, Environments: []string{"prod"}}
	d := store.Delivery{ID: "abc", Notification: "weekly", Event: model.Event{Kind: DigestKind, Time: at("2026-12-07 09:00"), Detail: "2026-W50"}}
	m := ComposeDigest(d, note, digestReport(), "https://g.example")
	if m.Event != model.NotifyKPIDigest || m.ID != "abc" || !m.Time.Equal(at("2026-12-07 09:00")) {
		t.Errorf("message %+v", m)
	}
	if want := "KPI digest of cart, checkout in prod, 2026-11-30 to 2026-12-06"; m.Summary != want {
		t.Errorf("summary %q, want %q", m.Summary, want)
	}
	if want := "https://g.example/kpi?by=day&environment=prod&from=2026-11-30&to=2026-12-07"; m.URL != want {
		t.Errorf("url %q, want %q", m.URL, want)
	}
	wantLines := []string{
		"Deploys: 12, high (before: 8; +50%, better)",
		"Lead time, median: 3h, elite (before: 6h; -50%, better)",
		"Change failure rate: 7.692%, high (before: 0%; up from 0, worse)",
		"Recovery time, median: 30m, elite (before: no data; new (no data before))",
		"Manual steps per deploy: 2.5 (before: 3; -16.67%, better)",
	}
	if got := m.Lines(); strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}

	// Each target says the lines: Slack's blocks and text (Mattermost
	// reads text), Teams' card, the email's body; the webhook's JSON has
	// them as data.
	slack, _ := json.Marshal(SlackPayload(m))
	teams, _ := json.Marshal(TeamsPayload(m))
	email := string(EmailBody(m, "g@example.com", []string{"a@example.com"}, "g.example"))
	hook, _ := json.Marshal(m)
	for name, body := range map[string]string{"slack": string(slack), "teams": string(teams), "email": email} {
		for _, want := range []string{"Deploys: 12, high", "Manual steps per deploy: 2.5"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, body)
			}
		}
	}
	if !strings.Contains(email, "X-Gennaker-Event: kpi_digest") || !strings.Contains(email, "Subject: [gennaker] KPI digest of cart") {
		t.Errorf("email headers:\n%s", email)
	}
	var back struct {
		Event  string `json:"event"`
		Digest Digest `json:"digest"`
	}
	if err := json.Unmarshal(hook, &back); err != nil || back.Event != "kpi_digest" || len(back.Digest.KPIs) != 5 {
		t.Fatalf("webhook JSON %s: %v", hook, err)
	}
	k := back.Digest.KPIs[1]
	if k.Name != "leadTimeMedian" || k.Unit != "seconds" || *k.Value != 3*3600 || *k.Previous != 6*3600 || k.Band != kpi.BandElite {
		t.Errorf("lead time in the webhook's JSON: %+v", k)
	}
	if r := back.Digest.KPIs[3]; r.Previous != nil || !strings.Contains(string(hook), `"previous":null`) {
		t.Errorf("no data is null: %+v", r)
	}
}
