package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/config"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/notify/notifytest"
	"github.com/gennaker/gennaker/test/internal/serverproc"
	"github.com/gennaker/gennaker/test/testserver"
)

// The weekly KPI digest goes out once per notification and week from real
// server processes: scheduled a minute ago with --kpi-digest-at, it is
// sent after a restart, not again after a kill -9 and a restart, and on
// PostgreSQL not again by a second replica.
func TestDigestOnceAcrossRestarts(t *testing.T) {
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) { testDigest(t, kind) })
	}
}

func testDigest(t *testing.T, kind testserver.StoreKind) {
	sink := notifytest.NewSink(t)
	dir := t.TempDir()
	data, addr := filepath.Join(dir, "data"), testserver.FreeAddr(t)
	cli := data + ".cli.yaml"
	slot := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	at := fmt.Sprintf("%s %02d:%02d", slot.Weekday().String()[:3], slot.Hour(), slot.Minute())
	store := testserver.StoreArgs(t, kind, data)
	args := append(append([]string{}, store...), "--addr", addr, "--cli-config", cli, "--kpi-digest-at", at)
	srv := serverproc.New(t, "server", binary, addr, filepath.Join(dir, "server.log"), args...)
	srv.Start()
	c := client.New(srv.URL(), testserver.AdminToken(t, cli, srv.URL()))
	var apiErr *client.APIError
	if _, err := c.KPI(t.Context(), url.Values{"since": {"7d"}}); errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		t.Skip("this server makes no KPI reports yet (GET /api/v1/kpi is 404): the weekly digest needs kpi.Reporter wired into the notifier")
	}
	applyDigestConfig(t, c, sink.URL)

	// The server looked for digests when it started, before the
	// notification was applied: a restart looks again at once.
	srv.Kill()
	srv.Start()
	want := notify.DigestID(notify.DigestWeek(slot), "digest")
	deadline := time.Now().Add(30 * time.Second)
	for sink.Counts()[want] == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if sink.Counts()[want] == 0 {
		t.Fatalf("no digest %s within 30s; the sink got %v", want, sink.Counts())
	}
	for !settled(t, c) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	checkDigestBody(t, sink)

	// Killed and restarted, and on PostgreSQL joined by a second replica,
	// the servers look again and find the week's digest planned already.
	srv.Kill()
	srv.Start()
	if kind == testserver.Postgres {
		addr2 := testserver.FreeAddr(t)
		args2 := append(append([]string{}, store...), "--addr", addr2, "--cli-config", "-", "--kpi-digest-at", at)
		args2[1] = filepath.Join(dir, "data2") // --data DIR of its own
		replica := serverproc.New(t, "replica", binary, addr2, filepath.Join(dir, "replica.log"), args2...)
		replica.Start()
	}
	time.Sleep(3 * time.Second) // a few polls: time for a wrong second digest to show
	counts := sink.Counts()
	if len(counts) != 1 || counts[want] != 1 {
		t.Errorf("the sink got %v, want the digest %s once", counts, want)
	}
}

// checkDigestBody checks the webhook's digest: its event, its KPIs, and
// the period, the 7 days before the digest's day.
func checkDigestBody(t *testing.T, sink *notifytest.Sink) {
	t.Helper()
	reqs := sink.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request")
	}
	r := reqs[0]
	if got := r.Header.Get(notify.HeaderEvent); got != "kpi_digest" {
		t.Errorf("%s: %q", notify.HeaderEvent, got)
	}
	var m notify.Message
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("digest body: %v\n%s", err, r.Body)
	}
	if m.Digest == nil || len(m.Digest.KPIs) != 5 || m.Notification != "digest" || !strings.HasPrefix(m.Summary, "KPI digest of cart") {
		t.Fatalf("digest %s", r.Body)
	}
	if d := m.Digest; d.To.Sub(d.From) != 7*24*time.Hour {
		t.Errorf("digest period %s to %s, want 7 days", d.From, d.To)
	}
}

// applyDigestConfig applies testdata/digest.yaml with the sink's URL.
func applyDigestConfig(t *testing.T, c *client.Client, sinkURL string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/digest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "digest.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), "SINK_URL", sinkURL)), 0o600); err != nil {
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
