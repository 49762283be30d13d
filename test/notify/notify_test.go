// Package notify runs a real gennaker server process with two
// Notifications, a signed webhook to the test's HTTP sink and email over
// STARTTLS with a login to the test's SMTP server (go-smtp), kills the server with SIGKILL
// while the sink holds a delivery open, restarts it on the same store, and
// checks that every message the event log calls for arrives, each under
// its stable delivery ID: distinct IDs equal the expected messages exactly,
// and only a message in flight at the kill may arrive twice (at least
// once with a stable ID, which the receiver uses to drop the repeat).
package notify

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/notify/notifytest"
	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }

const (
	signingKey   = "e2e-notify-signing-key-0123456789"
	smtpUser     = "gennaker-bot"
	smtpPassword = "e2e-smtp-password-0123456789"
)

func TestEachMessageOnceAcrossKill(t *testing.T) {
	// The server reads the secrets from its environment, and trusts the
	// test's SMTP server's certificate for STARTTLS.
	t.Setenv("GENNAKER_TEST_NOTIFY_KEY", signingKey)
	t.Setenv("GENNAKER_TEST_SMTP_USER", smtpUser)
	t.Setenv("GENNAKER_TEST_SMTP_PASSWORD", smtpPassword)
	mail := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, User: smtpUser, Password: smtpPassword})
	ca := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(ca, mail.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", ca)
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) { testKill(t, kind, mail) })
	}
}

func testKill(t *testing.T, kind testserver.StoreKind, mail *notifytest.SMTPServer) {
	mailBefore := len(mail.Mail())
	sink := notifytest.NewSink(t)
	sink.Check(func(r *http.Request, body []byte) bool {
		return notify.Verify([]byte(signingKey), body, r.Header.Get(notify.HeaderSignature))
	})
	dir := t.TempDir()
	data, addr := filepath.Join(dir, "data"), testserver.FreeAddr(t)
	cli := data + ".cli.yaml"
	srv := serverproc.New(t, "server", binary, addr, filepath.Join(dir, "server.log"),
		append(testserver.StoreArgs(t, kind, data), "--addr", addr, "--cli-config", cli)...)
	srv.Start()
	c := client.New(srv.URL(), testserver.AdminToken(t, cli, srv.URL()))
	applyConfig(t, c, sink.URL, mail.Addr)

	// The first run's messages are held open by the sink; the server dies
	// while it waits for the answer.
	sink.Hold()
	first := run(t, c)
	var held string
	select {
	case held = <-sink.Held():
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery reached the sink within 30s")
	}
	waitStage(t, c, first, "approve", model.StageWaiting)
	srv.Kill()
	inFlight := sink.Counts()
	t.Logf("killed the server while delivery %s was held (%d in flight)", held, len(inFlight))
	sink.Release()
	srv.Start()

	approveAndFinish(t, c, first)
	for range 2 {
		approveAndFinish(t, c, run(t, c))
	}

	want := expected(t, c, "hook", model.NotifyExecutionStarted, model.NotifyExecutionSucceeded, model.NotifyExecutionFailed, model.NotifyJudgmentWaiting)
	wantMail := expected(t, c, "mail", model.NotifyExecutionSucceeded, model.NotifyExecutionFailed)
	if len(want) != 3*3 {
		t.Fatalf("the event log calls for %d messages, want 9 (3 runs: started, judgment waiting, succeeded)", len(want))
	}
	// Every message arrives, and the outbox settles: on PostgreSQL (several
	// replicas may share it) the killed server's claims on the messages it
	// was sending expire before they are sent again.
	deadline := time.Now().Add(90 * time.Second)
	for !(containsAll(sink.Counts(), want) && settled(t, c)) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // time for a wrong extra message to show
	counts := sink.Counts()
	for id := range want {
		if counts[id] == 0 {
			t.Errorf("message %s never arrived", id)
		}
	}
	redelivered := 0
	for id, n := range counts {
		if !want[id] {
			t.Errorf("message %s arrived %d times but the event log calls for no such message", id, n)
		}
		if n > 1 {
			redelivered++
			if inFlight[id] == 0 {
				t.Errorf("message %s arrived %d times but was not in flight at the kill", id, n)
			}
		}
	}
	t.Logf("%d distinct messages for %d expected; %d sent again after the kill under the same ID", len(counts), len(want), redelivered)
	for _, r := range sink.Requests() {
		if r.Header.Get(notify.HeaderSignature) == "" {
			t.Errorf("delivery %s came unsigned", r.Delivery)
		}
	}

	// The emails went over STARTTLS, logged in, each under its Message-ID.
	mails := map[string]int{}
	for _, m := range mail.Mail()[mailBefore:] {
		if !m.TLS || m.User != smtpUser {
			t.Errorf("an email went without TLS or login: %+v", m)
		}
		for _, line := range strings.Split(string(m.Data), "\r\n") {
			if id, ok := strings.CutPrefix(line, "X-Gennaker-Delivery: "); ok {
				mails[id]++
			}
		}
	}
	if len(mails) != len(wantMail) {
		t.Errorf("%d distinct emails, want %d", len(mails), len(wantMail))
	}
	for id := range wantMail {
		if mails[id] == 0 {
			t.Errorf("email %s never arrived", id)
		}
	}

	// The status says every message went out, from the API and the CLI.
	statuses, err := c.Notifications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{"hook": len(want), "mail": len(wantMail)}
	for _, s := range statuses {
		if s.Sent != sent[s.Name] || s.Pending != 0 || s.Dead != 0 || s.Health != notify.HealthOK {
			t.Errorf("status %+v, want %d sent and nothing pending or dead", s, sent[s.Name])
		}
	}
	if len(statuses) != 2 {
		t.Fatalf("statuses %+v, want hook and mail", statuses)
	}
	token := testserver.AdminToken(t, cli, srv.URL())
	out, err := exec.Command(binary, "notifications", "status", "--server", srv.URL(), "--token", token).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hook") || !strings.Contains(string(out), "OK") {
		t.Fatalf("gennaker notifications status: %v\n%s", err, out)
	}

	// A test message goes out at once, signed, outside the outbox.
	before := len(sink.Requests())
	out, err = exec.Command(binary, "notifications", "test", "hook", "--server", srv.URL(), "--token", token).CombinedOutput()
	if err != nil {
		t.Fatalf("gennaker notifications test: %v\n%s", err, out)
	}
	reqs := sink.Requests()
	if len(reqs) != before+1 || !strings.HasPrefix(reqs[before].Delivery, "test-") {
		t.Fatalf("the test message did not arrive: %d requests, last %+v", len(reqs), reqs[len(reqs)-1].Delivery)
	}

	// Deleting a notification takes its deliveries with it.
	out, err = exec.Command(binary, "delete", "notification", "mail", "--server", srv.URL(), "--token", token).CombinedOutput()
	if err != nil {
		t.Fatalf("gennaker delete notification mail: %v\n%s", err, out)
	}
	if statuses, err = c.Notifications(t.Context()); err != nil || len(statuses) != 1 || statuses[0].Name != "hook" {
		t.Fatalf("after deleting mail: %+v, %v", statuses, err)
	}
}

// applyConfig applies testdata/config.yaml with the sink's URL.
func applyConfig(t *testing.T, c *client.Client, sinkURL, smtpAddr string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(strings.NewReplacer("SINK_URL", sinkURL, "SMTP_ADDR", smtpAddr).Replace(string(raw))), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFiles([]string{path}, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, c *client.Client) string {
	t.Helper()
	ex, err := c.Run(t.Context(), "release", client.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

// waitStage waits until the execution's stage has status.
func waitStage(t *testing.T, c *client.Client, id, stage string, status model.StageStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ex, err := c.Execution(t.Context(), id)
		if err == nil {
			for _, st := range ex.Stages {
				if st.Name == stage && st.Status == status {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stage %s of %s is not %s after 30s (%v)", stage, id, status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// approveAndFinish approves the execution's judgment and waits for it to succeed.
func approveAndFinish(t *testing.T, c *client.Client, id string) {
	t.Helper()
	waitStage(t, c, id, "approve", model.StageWaiting)
	if _, err := c.Judge(t.Context(), id, model.DecisionApprove, "approve", "the notification test"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	ex, err := c.Watch(ctx, id, func(*model.Execution) {})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != model.ExecutionSucceeded {
		t.Fatalf("execution %s ended %s: %s", id, ex.Status, ex.Reason)
	}
}

// expected is the delivery ID of every message the event log calls for.
func expected(t *testing.T, c *client.Client, notification string, on ...model.NotifyEvent) map[string]bool {
	t.Helper()
	q := url.Values{"application": {"cart"}, "limit": {"1000"}, "after": {"0"}}
	evs, err := c.Events(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, ev := range evs {
		if kind, ok := notify.Classify(ev); ok && slices.Contains(on, kind) {
			want[notify.DeliveryID(ev.ID, notification)] = true
		}
	}
	return want
}

// settled reports whether no delivery is pending.
func settled(t *testing.T, c *client.Client) bool {
	statuses, err := c.Notifications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range statuses {
		if s.Pending > 0 {
			return false
		}
	}
	return true
}

func containsAll(counts map[string]int, want map[string]bool) bool {
	for id := range want {
		if counts[id] == 0 {
			return false
		}
	}
	return true
}
