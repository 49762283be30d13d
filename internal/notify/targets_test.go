package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/notify/notifytest"
	"github.com/gennaker/gennaker/internal/secret"
)

// env is a secret resolver over a fixed environment.
func env(vars map[string]string) *secret.Resolver {
	return &secret.Resolver{LookupEnv: func(name string) (string, bool) { v, ok := vars[name]; return v, ok }}
}

func fromEnv(name string) model.StringOrSecret { return model.FromSecret(model.SecretRef{Env: name}) }

var failed = notify.Message{
	ID: "0123456789abcdef0123456789abcdef", Event: model.NotifyExecutionFailed, Notification: "ops",
	Application: "cart", Pipeline: "release", Execution: "ex1", Status: "failed", Version: "1.4.2", Environment: "prod",
	Reason: "stage deploy: error rate 4.1% > 1%", Summary: "cart prod: release 1.4.2 failed",
	URL: "https://g.example/executions/ex1", Time: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
}

func TestSlackBlockKit(t *testing.T) {
	sink := notifytest.NewSink(t)
	ts := &notify.Targets{Secrets: env(map[string]string{"SLACK_URL": sink.URL})}
	target, err := ts.For(model.Notification{Name: "ops", Slack: &model.SlackTarget{URL: fromEnv("SLACK_URL")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Send(t.Context(), failed); err != nil {
		t.Fatal(err)
	}
	reqs := sink.Requests()
	if len(reqs) != 1 || reqs[0].Delivery != failed.ID {
		t.Fatalf("sink got %+v", reqs)
	}
	var got struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string                `json:"type"`
			Text     struct{ Text string } `json:"text"`
			Elements []struct {
				Type string                `json:"type"`
				URL  string                `json:"url"`
				Text struct{ Text string } `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Blocks) != 2 || got.Blocks[0].Type != "section" || got.Blocks[1].Type != "actions" {
		t.Fatalf("blocks %+v", got.Blocks)
	}
	if got.Blocks[0].Text.Text != "*cart prod: release 1.4.2 failed*\nstage deploy: error rate 4.1% &gt; 1%" {
		t.Errorf("section text %q", got.Blocks[0].Text.Text)
	}
	b := got.Blocks[1].Elements[0]
	if b.Type != "button" || b.URL != failed.URL || b.Text.Text != "Open in gennaker" {
		t.Errorf("button %+v", b)
	}
	if !strings.HasPrefix(got.Text, failed.Summary) {
		t.Errorf("fallback text %q", got.Text)
	}
}

func TestWebhookSignedAndRedacted(t *testing.T) {
	sink := notifytest.NewSink(t)
	key := []byte("signing-key-0123456789")
	sink.Check(func(r *http.Request, body []byte) bool {
		return notify.Verify(key, body, r.Header.Get(notify.HeaderSignature)) && r.Header.Get("X-Team") == "payments"
	})
	ts := &notify.Targets{Secrets: env(map[string]string{"HOOK_KEY": string(key)})}
	n := model.Notification{Name: "ops", Webhook: &model.WebhookTarget{URL: model.Inline(sink.URL), Secret: fromEnv("HOOK_KEY"),
		Headers: map[string]model.StringOrSecret{"X-Team": model.Inline("payments")}}}
	target, _ := ts.For(n)
	if err := target.Send(t.Context(), failed); err != nil {
		t.Fatalf("the sink refused a signed message: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(sink.Requests()[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"id": failed.ID, "event": "execution.failed", "application": "cart", "pipeline": "release",
		"execution": "ex1", "status": "failed", "version": "1.4.2", "environment": "prod", "url": failed.URL, "time": "2026-05-01T12:00:00Z"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
	// A wrong key is refused by the receiver: the error says so, permanently.
	ts.Secrets = env(map[string]string{"HOOK_KEY": "another-key-0123456789"})
	target, _ = ts.For(n)
	err := target.Send(t.Context(), failed)
	if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("a bad signature gave %v", err)
	}
	// A secret URL never shows in an error.
	ts.Secrets = env(map[string]string{"HOOK_URL": "http://127.0.0.1:1/services/T000/B000/XXXXXXXXSECRET"})
	target, _ = ts.For(model.Notification{Name: "s", Slack: &model.SlackTarget{URL: fromEnv("HOOK_URL")}})
	err = target.Send(t.Context(), failed)
	if err == nil || strings.Contains(err.Error(), "XXXXXXXXSECRET") {
		t.Fatalf("error %v shows the secret URL", err)
	}
}

func TestTeamsAdaptiveCard(t *testing.T) {
	sink := notifytest.NewSink(t)
	ts := &notify.Targets{Secrets: env(map[string]string{"TEAMS_URL": sink.URL})}
	target, _ := ts.For(model.Notification{Name: "ops", Teams: &model.TeamsTarget{URL: fromEnv("TEAMS_URL")}})
	if err := target.Send(t.Context(), failed); err != nil {
		t.Fatal(err)
	}
	body := string(sink.Requests()[0].Body)
	for _, want := range []string{`"application/vnd.microsoft.card.adaptive"`, `"Action.OpenUrl"`, failed.URL, `"AdaptiveCard"`} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %s: %s", want, body)
		}
	}
}

func TestCDEvents(t *testing.T) {
	sink := notifytest.NewSink(t)
	ts := &notify.Targets{Host: "https://g.example"}
	target, _ := ts.For(model.Notification{Name: "cde", CDEvents: &model.CDEventsTarget{URL: model.Inline(sink.URL)}})
	rolled := notify.Message{ID: "r1", Event: model.NotifyRollback, Application: "cart", Environment: "prod", Version: "1.4.1", Time: failed.Time}
	for _, m := range []notify.Message{failed, rolled} {
		if err := target.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	reqs := sink.Requests()
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/cloudevents+json" {
		t.Errorf("content type %q", ct)
	}
	type cdevent struct {
		SpecVersion, ID, Source, Type, Subject, Time string
		Data                                         struct {
			Context struct{ Version, ID, Source, Type, Timestamp string }
			Subject struct {
				ID, Type string
				Content  map[string]any
			}
		}
	}
	var finished, back cdevent
	if err := json.Unmarshal(reqs[0].Body, &finished); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(reqs[1].Body, &back); err != nil {
		t.Fatal(err)
	}
	if finished.SpecVersion != "1.0" || finished.ID != failed.ID || finished.Type != "dev.cdevents.pipelinerun.finished.0.2.0" ||
		finished.Source != "https://g.example" || finished.Data.Context.Version != "0.4.1" || finished.Data.Context.ID != failed.ID ||
		finished.Data.Subject.Type != "pipelineRun" || finished.Data.Subject.ID != "ex1" ||
		finished.Data.Subject.Content["outcome"] != "failure" || finished.Data.Subject.Content["pipelineName"] != "release" {
		t.Errorf("pipelinerun.finished %+v", finished)
	}
	if back.Type != "dev.cdevents.service.rolledback.0.2.0" || back.Data.Subject.Type != "service" ||
		back.Data.Subject.Content["artifactId"] != "pkg:generic/cart@1.4.1" {
		t.Errorf("service.rolledback %+v", back)
	}
}

func TestEmailOverSTARTTLSWithLogin(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, User: "bot", Password: "hunter2-but-long"})
	ts := &notify.Targets{TLS: srv.ClientTLS, Host: "https://g.example",
		Secrets: env(map[string]string{"SMTP_USER": "bot", "SMTP_PASSWORD": "hunter2-but-long"})}
	target, _ := ts.For(model.Notification{Name: "mail", Email: &model.EmailTarget{
		SMTP: srv.Addr, From: "gennaker@example.com", To: []string{"oncall@example.com", "lead@example.com"},
		Username: fromEnv("SMTP_USER"), Password: fromEnv("SMTP_PASSWORD"),
	}})
	if err := target.Send(t.Context(), failed); err != nil {
		t.Fatal(err)
	}
	mail := srv.Mail()
	if len(mail) != 1 {
		t.Fatalf("server got %d messages", len(mail))
	}
	m := mail[0]
	if !m.TLS || m.User != "bot" || m.From != "gennaker@example.com" || len(m.To) != 2 {
		t.Fatalf("mail %+v", m)
	}
	head, body, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	for _, want := range []string{"Subject: [gennaker] cart prod: release 1.4.2 failed", "Message-ID: <" + failed.ID + "@g.example>"} {
		if !strings.Contains(head, want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	text, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if !strings.Contains(string(text), failed.Reason) || !strings.Contains(string(text), failed.URL) {
		t.Errorf("body %q", text)
	}
}

func TestEmailRefusesClearText(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{User: "bot", Password: "hunter2-but-long"})
	ts := &notify.Targets{Secrets: env(map[string]string{"U": "bot", "P": "hunter2-but-long"})}
	spec := model.EmailTarget{SMTP: srv.Addr, From: "g@example.com", To: []string{"o@example.com"}, Username: fromEnv("U"), Password: fromEnv("P")}
	send := func(policy string) error {
		s := spec
		s.StartTLS = policy
		target, _ := ts.For(model.Notification{Name: "mail", Email: &s})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return target.Send(ctx, failed)
	}
	for _, policy := range []string{"", model.StartTLSRequired, model.StartTLSOpportunistic} {
		if err := send(policy); !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("starttls %q without TLS: %v", policy, err)
		}
	}
	if len(srv.Mail()) != 0 {
		t.Fatal("a message went out in clear")
	}
	// never: the target says a clear-text relay is fine.
	if err := send(model.StartTLSNever); err != nil {
		t.Fatal(err)
	}
	if m := srv.Mail(); len(m) != 1 || m[0].TLS || m[0].User != "bot" {
		t.Fatalf("mail %+v", m)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := notifytest.NewSink(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, elsewhere.URL, http.StatusFound) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
	ln := listen(t)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	target, _ := (&notify.Targets{}).For(model.Notification{Name: "h", Webhook: &model.WebhookTarget{URL: model.Inline("http://" + ln.Addr().String() + "/")}})
	err := target.Send(t.Context(), failed)
	if err == nil || !strings.Contains(err.Error(), "HTTP 302") {
		t.Fatalf("a redirect gave %v, want an HTTP 302 error", err)
	}
	if n := len(elsewhere.Requests()); n != 0 {
		t.Fatalf("the message followed the redirect (%d requests elsewhere)", n)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestChatTextCannotPingOrLink: event text reaches Slack and Teams as text:
// no <!channel>, no disguised link.
func TestChatTextCannotPingOrLink(t *testing.T) {
	m := notify.Message{Summary: "deploy <!channel> <https://evil.example|click> [x](https://evil.example)", URL: "https://gennaker.example/executions/1"}
	slack, _ := json.Marshal(notify.SlackPayload(m))
	if strings.Contains(string(slack), "<!channel>") || strings.Contains(string(slack), "<https://evil") {
		t.Errorf("Slack payload %s: want the summary's < > escaped in text and blocks", slack)
	}
	teams, _ := json.Marshal(notify.TeamsPayload(m))
	if strings.Contains(string(teams), "](https://evil") {
		t.Errorf("Teams payload %s: want the markdown link broken", teams)
	}
}
