// Package incidents runs a real gennaker server and a real Alertmanager
// (Debian's prometheus-alertmanager) whose receiver is gennaker's webhook,
// configured as docs/kpis.md says: a token of role deployer narrowed to the
// production environment, made with `gennaker token create`. An alert
// pushed to Alertmanager's API opens an incident and its incident_opened
// event in gennaker; the same alert ended resolves it. Posting to the
// webhook directly checks the rest: a wrong token is refused with 401 and
// records nothing, a replayed body records one incident and one event, and
// alerts of unknown applications or of environments the token may not
// touch are listed as skipped or refused in the 200 answer.
package incidents

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/api"
	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/testserver"
)

// binary is the gennaker binary built once for the package.
var binary string

func TestMain(m *testing.M) { testserver.Main(m, &binary) }

func TestAlertmanager(t *testing.T) {
	for _, kind := range testserver.StoreKinds {
		t.Run(string(kind), func(t *testing.T) { testAlertmanager(t, kind) })
	}
}

func testAlertmanager(t *testing.T, kind testserver.StoreKind) {
	srv := testserver.Start(t, binary, testserver.Options{Store: kind})
	admin := srv.Admin()
	ctx := t.Context()
	if _, err := admin.Apply(ctx, model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Instances: 1, Run: model.RunSpec{Command: "sleep", Args: []string{"3600"}}}},
		Environments: []model.Environment{
			{Name: "production", Production: true, Target: target(t, kind)},
			{Name: "staging", Target: target(t, kind)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// The token, as docs/kpis.md says to make it.
	token := createToken(t, srv)
	tokenFile := filepath.Join(t.TempDir(), "gennaker-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := srv.URL + "/api/v1/incidents/alertmanager"
	am := startAlertmanager(t, hook, tokenFile)

	// A firing alert opens the incident, with its event.
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	alert := postableAlert{
		Labels:       map[string]string{"alertname": "CheckoutErrors", "application": "checkout", "environment": "production", "severity": "page"},
		Annotations:  map[string]string{"summary": "checkout answers 5xx above 2%"},
		StartsAt:     start,
		GeneratorURL: "http://prometheus.example/graph?g0.expr=errors",
	}
	am.push(t, alert)
	inc := waitIncident(t, admin, func(inc model.Incident) bool { return true }, "an incident of checkout in production")
	if !strings.HasPrefix(inc.ID, "am-") || !strings.HasSuffix(inc.ID, fmt.Sprintf("-%d", start.Unix())) || inc.Application != "checkout" ||
		inc.Environment != "production" || inc.Title != "checkout answers 5xx above 2%" || !inc.StartedAt.Equal(start) ||
		inc.Source != model.IncidentSourceAlertmanager || !inc.Open() || inc.OpenedBy != "token:alertmanager" || inc.Labels["severity"] != "page" {
		t.Fatalf("incident = %+v", inc)
	}
	waitEvents(t, admin, model.EventIncidentOpened, inc.ID, 1)

	// The same alert ended: Alertmanager sends it resolved.
	end := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	alert.EndsAt = &end
	am.push(t, alert)
	resolved := waitIncident(t, admin, func(i model.Incident) bool { return i.ID == inc.ID && !i.Open() }, "the incident resolved")
	if !resolved.ResolvedAt.Equal(end) {
		t.Fatalf("resolved at %v, want the alert's endsAt %v", resolved.ResolvedAt, end)
	}
	waitEvents(t, admin, model.EventIncidentResolved, inc.ID, 1)
	// Alertmanager's later resends change nothing: still one event of each.
	time.Sleep(3 * time.Second)
	waitEvents(t, admin, model.EventIncidentOpened, inc.ID, 1)
	waitEvents(t, admin, model.EventIncidentResolved, inc.ID, 1)

	testWebhookDirectly(t, admin, hook, token)
}

// testWebhookDirectly posts webhook bodies to gennaker as Alertmanager
// does: a wrong token, a replay, and alerts the token may not record.
func testWebhookDirectly(t *testing.T, admin *client.Client, hook, token string) {
	start := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	alert := func(fingerprint, app, env string) map[string]any {
		return map[string]any{"status": "firing", "fingerprint": fingerprint, "startsAt": start, "endsAt": "0001-01-01T00:00:00Z",
			"labels": map[string]string{"alertname": "Down", "app": app, "env": env}, "annotations": map[string]string{}, "generatorURL": ""}
	}
	body := func(alerts ...map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "gennaker", "groupKey": "{}:{}",
			"truncatedAlerts": 0, "groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
			"externalURL": "http://alertmanager.example", "alerts": alerts})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := len(listIncidents(t, admin))

	// A wrong token: 401, nothing recorded.
	wrong := "gnk_0123456789abcdef_" + strings.Repeat("A", 43)
	if code, text := post(t, hook, wrong, body(alert("aaaa000000000001", "checkout", "production"))); code != http.StatusUnauthorized {
		t.Fatalf("webhook with a wrong token: %d %s, want 401", code, text)
	}
	if code, text := post(t, hook, "", body(alert("aaaa000000000001", "checkout", "production"))); code != http.StatusUnauthorized {
		t.Fatalf("webhook without a token: %d %s, want 401", code, text)
	}
	if n := len(listIncidents(t, admin)); n != before {
		t.Fatalf("refused webhooks recorded %d incidents", n-before)
	}

	// A replay of one body: one incident, one event.
	replayed := body(alert("bbbb000000000002", "checkout", "production"))
	var outcomes []string
	for range 3 {
		code, text := post(t, hook, token, replayed)
		if code != http.StatusOK {
			t.Fatalf("webhook: %d %s", code, text)
		}
		var res api.AlertmanagerResult
		if err := json.Unmarshal([]byte(text), &res); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, res.Alerts[0].Outcome)
	}
	if strings.Join(outcomes, " ") != "opened unchanged unchanged" {
		t.Fatalf("outcomes of three posts of one body = %v, want opened, then unchanged", outcomes)
	}
	id := fmt.Sprintf("am-bbbb000000000002-%d", start.Unix())
	if n := len(listIncidents(t, admin)); n != before+1 {
		t.Fatalf("three posts of one body recorded %d incidents, want 1", n-before)
	}
	waitEvents(t, admin, model.EventIncidentOpened, id, 1)

	// Alerts the token may not record, or that name nothing gennaker knows,
	// are listed and not recorded; the others in the same body are.
	code, text := post(t, hook, token, body(
		alert("cccc000000000003", "checkout", "staging"),
		alert("dddd000000000004", "no-such-app", "production"),
		alert("eeee000000000005", "checkout", "production"),
		map[string]any{"status": "firing", "fingerprint": "ffff000000000006", "startsAt": start, "labels": map[string]string{"alertname": "NoLabels"}},
	))
	if code != http.StatusOK {
		t.Fatalf("webhook with mixed alerts: %d %s", code, text)
	}
	var res api.AlertmanagerResult
	if err := json.Unmarshal([]byte(text), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Alerts {
		got = append(got, a.Fingerprint[:4]+":"+a.Outcome)
	}
	if strings.Join(got, " ") != "cccc:refused dddd:skipped eeee:opened ffff:skipped" || res.Recorded != 1 || res.Skipped != 3 {
		t.Fatalf("mixed alerts = %v (recorded %d, skipped %d): %s", got, res.Recorded, res.Skipped, text)
	}
	if n := len(listIncidents(t, admin)); n != before+2 {
		t.Fatalf("the mixed body recorded %d incidents, want 1", n-before-1)
	}
}

// target is an environment's target on kind: local on SQLite; on
// PostgreSQL, where several replicas may serve and local targets are
// refused, a Kubernetes cluster that is never reached (nothing deploys
// here: incidents need the environment to exist, not to run anything).
func target(t *testing.T, kind testserver.StoreKind) model.TargetSpec {
	if kind != testserver.Postgres {
		return model.TargetSpec{Kind: model.TargetLocal}
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	const cfg = `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: default}}]
current-context: none
`
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return model.TargetSpec{Kind: model.TargetKubernetes, Kubeconfig: kc, Namespace: "default"}
}

// createToken runs `gennaker token create` as docs/kpis.md tells users to.
func createToken(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	cmd := exec.Command(binary, "token", "create", "alertmanager", "--role", "deployer", "--env", "production",
		"--server", srv.URL, "--token", srv.Token, "-o", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gennaker token create: %v: %s", err, stderr.String())
	}
	var created api.TokenCreated
	if err := json.Unmarshal(out, &created); err != nil || created.Secret == "" {
		t.Fatalf("gennaker token create -o json: %v: %s", err, out)
	}
	return created.Secret
}

func post(t *testing.T, url, token string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Alertmanager/0.25.0")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

func listIncidents(t *testing.T, c *client.Client) []model.Incident {
	t.Helper()
	incs, _, err := c.Incidents(t.Context(), url.Values{"limit": {"500"}})
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

// waitIncident waits until an incident of checkout in production matches.
func waitIncident(t *testing.T, c *client.Client, match func(model.Incident) bool, what string) model.Incident {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		incs, _, err := c.Incidents(t.Context(), url.Values{"application": {"checkout"}, "environment": {"production"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range incs {
			if match(inc) {
				return inc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 60s (incidents: %+v)", what, incs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitEvents waits until the log holds n events of kind about incident
// id, and fails if it holds more.
func waitEvents(t *testing.T, c *client.Client, kind model.EventKind, id string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		evs, err := c.Events(ctx, url.Values{"kind": {string(kind)}, "limit": {"1000"}})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, ev := range evs {
			if ev.Ref == id {
				got++
				if ev.Application != "checkout" || ev.Environment != "production" {
					t.Fatalf("%s event of %s = %+v", kind, id, ev)
				}
			}
		}
		switch {
		case got > n:
			t.Fatalf("%d %s events of %s, want %d", got, kind, id, n)
		case got == n:
			return
		case ctx.Err() != nil:
			t.Fatalf("%d %s events of %s within 30s, want %d", got, kind, id, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
