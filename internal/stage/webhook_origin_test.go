package stage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// keyCatcher is a host that should never be called: it records the
// X-Api-Key of every request it gets.
type keyCatcher struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string
}

func newKeyCatcher(t *testing.T) *keyCatcher {
	t.Helper()
	k := &keyCatcher{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.keys = append(k.keys, r.URL.Path+" X-Api-Key="+r.Header.Get("X-Api-Key"))
		k.mu.Unlock()
		_, _ = w.Write([]byte(`{"status":"done"}`))
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *keyCatcher) seen() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...)
}

// runOnce calls a webhook stage of an execution run with params until it
// ends (at most 5 calls).
func runOnce(t *testing.T, spec model.StageSpec, params map[string]string) Result {
	t.Helper()
	w := &Webhook{Client: &http.Client{Timeout: 5 * time.Second}}
	in := inputFor(spec, clock, clock)
	in.Execution.Params = params
	var r Result
	for range 5 {
		r = w.Run(context.Background(), in)
		if r.Outcome != Continue {
			return r
		}
		in.Stage.State, in.Now = r.State, r.At
	}
	return r
}

// Whoever runs a pipeline picks its parameters: they may fill a webhook
// URL's path and query, never its scheme or host (even in a pipeline stored
// before config refused that).
func TestWebhookParametersCannotMoveTheCall(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok", `{"status":"done"}`)
	evil := newKeyCatcher(t)
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	headers := model.InlineMap(map[string]string{"X-Api-Key": "ci-key-1"})
	for _, tc := range []struct {
		name      string
		url, stat string
		params    map[string]string
		want      Outcome
		reason    string
	}{
		{name: "the host from a parameter", url: "http://{{params.host}}/hook", params: map[string]string{"host": evilHost},
			want: Failed, reason: "webhook.url: the URL has a placeholder in its scheme or host (http://{{params.host}})"},
		{name: "the port from a parameter", url: ci.URL + "{{params.port}}/hook", params: map[string]string{"port": "0"},
			want: Failed, reason: "placeholder in its scheme or host"},
		{name: "the status URL's host from a parameter", url: ci.URL + "/hook", stat: "http://{{ params.host }}/status", params: map[string]string{"host": evilHost},
			want: Failed, reason: "webhook.statusUrl: the URL has a placeholder"},
		{name: "a path parameter that looks like a host stays in the path", url: ci.URL + "/{{params.p}}", params: map[string]string{"p": "@" + evilHost + "/hook"},
			want: Failed, reason: "answered 404"},
		{name: "path and query parameters", url: ci.URL + "/{{params.p}}?ref={{params.ref}}", stat: ci.URL + "/{{params.s}}", params: map[string]string{"p": "hook", "ref": "main", "s": "status"},
			want: Succeeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := model.StageSpec{Name: "notify", Webhook: &model.WebhookStage{URL: model.Inline(tc.url), StatusURL: model.Inline(tc.stat), Headers: headers}}
			r := runOnce(t, spec, tc.params)
			if r.Outcome != tc.want || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("outcome %s (%q), want %s saying %q", outcomeName(r.Outcome), r.Reason, outcomeName(tc.want), tc.reason)
			}
			if got := evil.seen(); len(got) > 0 {
				t.Errorf("the other host was called: %v", got)
			}
		})
	}
}

// A receiver that redirects elsewhere does not get the call's headers sent
// there; a redirect within its own origin is followed.
func TestWebhookRedirectsStayOnTheirOrigin(t *testing.T) {
	t.Parallel()
	evil := newKeyCatcher(t)
	var mu sync.Mutex
	var keys []string
	ci := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.URL.Path+" X-Api-Key="+r.Header.Get("X-Api-Key"))
		mu.Unlock()
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/hook", http.StatusPermanentRedirect)
		case "/away", "/status-away":
			http.Redirect(w, r, evil.URL+"/stolen", http.StatusTemporaryRedirect)
		case "/downgrade":
			http.Redirect(w, r, "https://"+r.Host+"/hook", http.StatusFound)
		case "/status":
			_, _ = w.Write([]byte(`{"status":"done"}`))
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(ci.Close)
	headers := model.InlineMap(map[string]string{"X-Api-Key": "ci-key-1"})

	for _, tc := range []struct {
		name, path, status string
		want               Outcome
		reason             string
	}{
		{name: "within its origin", path: "/moved", want: Succeeded},
		{name: "to another host", path: "/away", want: Failed, reason: "the answer redirects from " + ci.URL + " to " + evil.URL},
		{name: "to another scheme", path: "/downgrade", want: Failed, reason: "to https://"},
		{name: "a status URL to another host", path: "/hook", status: "/status-away", want: Failed, reason: "gennaker follows a webhook's redirects only within its scheme, host and port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := model.StageSpec{Name: "notify", Webhook: &model.WebhookStage{URL: model.Inline(ci.URL + tc.path), Headers: headers}}
			if tc.status != "" {
				spec.Webhook.StatusURL = model.Inline(ci.URL + tc.status)
			}
			r := runOnce(t, spec, nil)
			if r.Outcome != tc.want || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("outcome %s (%q), want %s saying %q", outcomeName(r.Outcome), r.Reason, outcomeName(tc.want), tc.reason)
			}
			if got := evil.seen(); len(got) > 0 {
				t.Errorf("the call followed a redirect to another host: %v", got)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(keys, "\n"), "/hook X-Api-Key=ci-key-1") {
		t.Errorf("the redirect within the origin did not reach /hook with its header: %v", keys)
	}
}
