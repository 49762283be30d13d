package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gennaker/gennaker/internal/authn"
	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// recordingHooks is a trigger service over fixed pipelines that records
// what is fired and answers as result says.
type recordingHooks struct {
	pipelines []model.Pipeline
	result    func(trigger.Firing) (trigger.Result, error)

	mu    sync.Mutex
	fired []trigger.Firing
}

func (h *recordingHooks) HookTriggers(_ context.Context, hook string) ([]trigger.Ref, error) {
	return trigger.OnHook(h.pipelines, hook), nil
}

func (h *recordingHooks) Fire(_ context.Context, f trigger.Firing) (trigger.Result, error) {
	h.mu.Lock()
	h.fired = append(h.fired, f)
	h.mu.Unlock()
	if h.result != nil {
		return h.result(f)
	}
	return trigger.Result{ExecutionID: "exec-" + f.Ref.Spec.Name}, nil
}

func (h *recordingHooks) keys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, f := range h.fired {
		out = append(out, f.Ref.Key())
	}
	return out
}

var _ TriggerHooks = (*recordingHooks)(nil)

// The secrets of the test's triggers, as the server's environment holds them.
var hookEnv = map[string]string{"GH_SECRET": "It's a Secret to Everybody", "GH_OTHER": "other secret", "GL_TOKEN": "glpat-abc", "CI_SECRET": "ci secret", "CI_OTHER": "ci other"}

func webhookTrigger(name, hook, provider, env string) model.TriggerSpec {
	return model.TriggerSpec{Name: name, Webhook: &model.WebhookTrigger{Hook: hook, Provider: provider, Secret: model.FromSecret(model.SecretRef{Env: env})}}
}

// hookServer is an API server whose triggers are:
//
//	shop/release/push   hook github, provider github, GH_SECRET
//	shop/docs/push      hook github, provider github, GH_OTHER
//	shop/release/gitlab hook gitlab, provider gitlab, GL_TOKEN
//	shop/release/ci     hook ci,     provider hmac,   CI_SECRET
//	shop/docs/ci        hook ci,     provider hmac,   CI_OTHER, header X-Signature
//	shop/docs/unset     hook unset,  provider hmac,   an unset variable
func hookServer(t *testing.T, result func(trigger.Firing) (trigger.Result, error)) (*Server, *recordingHooks) {
	t.Helper()
	own := webhookTrigger("ci", "", trigger.ProviderHMAC, "CI_OTHER")
	own.Webhook.Header = "X-Signature"
	hooks := &recordingHooks{result: result, pipelines: []model.Pipeline{
		{Name: "release", Application: "shop", Triggers: []model.TriggerSpec{
			webhookTrigger("push", "github", trigger.ProviderGitHub, "GH_SECRET"),
			webhookTrigger("gitlab", "", trigger.ProviderGitLab, "GL_TOKEN"),
			webhookTrigger("ci", "", trigger.ProviderHMAC, "CI_SECRET"),
		}},
		{Name: "docs", Application: "shop", Triggers: []model.TriggerSpec{
			webhookTrigger("push", "github", trigger.ProviderGitHub, "GH_OTHER"),
			own,
			webhookTrigger("unset", "", trigger.ProviderHMAC, "NOT_SET"),
		}},
	}}
	lookup := func(name string) (string, bool) { v, ok := hookEnv[name]; return v, ok }
	s := New(Config{Auth: authn.New(authn.Config{}), Hooks: hooks, Secrets: &secret.Resolver{LookupEnv: lookup}})
	return s, hooks
}

// deliver posts body to /api/v1/hooks/{hook} as a sender on another site would.
func deliver(t *testing.T, s *Server, hook, contentType, body string, kv ...string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/hooks/"+hook, strings.NewReader(body))
	req.Host = "127.0.0.1:8080"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var got map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	return w, got
}

// compact is the answer's JSON on one line, in the server's field order.
func compact(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, w.Body.Bytes()); err != nil {
		t.Fatalf("the answer is not JSON: %v: %s", err, w.Body)
	}
	return b.String()
}

func githubSig(secret, body string) string { return "sha256=" + trigger.Sign(secret, []byte(body)) }

func TestHookGitHubsDocumentedExampleIsVerified(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	// GitHub's example body is not JSON: a verified delivery gets 400 for
	// it, an unverified one 401.
	sig := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	w, body := deliver(t, s, "github", "application/json", "Hello, World!", trigger.HeaderGitHubSignature, sig)
	if w.Code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "not JSON") {
		t.Fatalf("GitHub's example: %d %s, want 400 not JSON", w.Code, w.Body)
	}
	w, _ = deliver(t, s, "github", "application/json", "Hello, World?", trigger.HeaderGitHubSignature, sig)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("GitHub's signature over another body: %d, want 401", w.Code)
	}
	if len(hooks.keys()) != 0 {
		t.Errorf("fired %v", hooks.keys())
	}
}

func TestHookGitHubPush(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	payload := `{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","head_commit":{"timestamp":"2026-12-04T10:00:00Z"}}`
	w, _ := deliver(t, s, "github", "application/json", payload,
		trigger.HeaderGitHubSignature, githubSig(hookEnv["GH_SECRET"], payload),
		trigger.HeaderGitHubDelivery, "d-1", trigger.HeaderGitHubEvent, "push")
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s, want 202", w.Code, w.Body)
	}
	// Only the trigger whose secret signed it fires, not docs' on the same hook.
	if got := hooks.keys(); len(got) != 1 || got[0] != "shop/release/push" {
		t.Fatalf("fired %v, want shop/release/push only", got)
	}
	f := hooks.fired[0]
	if f.DeliveryID != "d-1" || f.Record.CommitSHA != "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c" || string(f.Record.Payload) != payload || f.Input["hook"] != "github" {
		t.Errorf("firing = %+v", f)
	}
	if _, ok := f.Input["headers"].(map[string]string)["x-hub-signature-256"]; ok {
		t.Error("the firing's headers show the signature")
	}
	want := `{"deliveryId":"d-1","triggers":[{"key":"shop/release/push","executionId":"exec-push","duplicate":false}]}`
	if got := compact(t, w); got != want {
		t.Errorf("answer = %s, want %s", got, want)
	}
}

func TestHookSharedHookFiresEachSigner(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	payload := `{"version":"1.2.3"}`
	// Both hmac triggers on hook ci: each reads its own header.
	w, _ := deliver(t, s, "ci", "application/json", payload,
		trigger.HeaderSignature, trigger.Sign(hookEnv["CI_SECRET"], []byte(payload)),
		"X-Signature", "sha256="+trigger.Sign(hookEnv["CI_OTHER"], []byte(payload)))
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := strings.Join(hooks.keys(), " "); got != "shop/release/ci shop/docs/ci" {
		t.Errorf("fired %s, want both ci triggers", got)
	}
	// Without a delivery header, the body's hash identifies the delivery.
	if id := hooks.fired[0].DeliveryID; !strings.HasPrefix(id, "sha256:") || hooks.fired[1].DeliveryID != id {
		t.Errorf("delivery IDs %q, %q, want the body's sha256 for both", id, hooks.fired[1].DeliveryID)
	}
}

func TestHookGitLab(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	w, _ := deliver(t, s, "gitlab", "application/json", `{"object_kind":"push"}`,
		trigger.HeaderGitLabToken, "glpat-abc", trigger.HeaderGitLabDelivery, "uuid-1")
	if w.Code != http.StatusAccepted || len(hooks.fired) != 1 || hooks.fired[0].DeliveryID != "uuid-1" {
		t.Fatalf("%d %s, fired %v", w.Code, w.Body, hooks.keys())
	}
	if _, ok := hooks.fired[0].Input["headers"].(map[string]string)["x-gitlab-token"]; ok {
		t.Error("the firing's headers show the token")
	}
}

func TestHookGitHubForm(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	payload := `{"ref":"refs/tags/v1"}`
	form := url.Values{"payload": {payload}}.Encode()
	w, _ := deliver(t, s, "github", "application/x-www-form-urlencoded", form,
		trigger.HeaderGitHubSignature, githubSig(hookEnv["GH_SECRET"], form), trigger.HeaderGitHubDelivery, "d-2")
	if w.Code != http.StatusAccepted || len(hooks.fired) != 1 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if p := hooks.fired[0].Input["payload"].(map[string]any); p["ref"] != "refs/tags/v1" || string(hooks.fired[0].Record.Payload) != payload {
		t.Errorf("payload = %v, record %s", p, hooks.fired[0].Record.Payload)
	}
	// A form without payload, signed, is a bad request.
	w, _ = deliver(t, s, "github", "application/x-www-form-urlencoded", "a=1", trigger.HeaderGitHubSignature, githubSig(hookEnv["GH_SECRET"], "a=1"))
	if w.Code != http.StatusBadRequest {
		t.Errorf("form without payload: %d, want 400", w.Code)
	}
}

func TestHookPingStartsNothing(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	body := `{"zen":"Keep it logically awesome."}`
	w, got := deliver(t, s, "github", "application/json", body,
		trigger.HeaderGitHubSignature, githubSig(hookEnv["GH_OTHER"], body), trigger.HeaderGitHubEvent, "ping", trigger.HeaderGitHubDelivery, "p-1")
	if w.Code != http.StatusOK || got["ping"] != true || len(hooks.fired) != 0 {
		t.Fatalf("ping: %d %s, fired %v", w.Code, w.Body, hooks.keys())
	}
	w, _ = deliver(t, s, "github", "application/json", body, trigger.HeaderGitHubSignature, githubSig("wrong", body), trigger.HeaderGitHubEvent, "ping")
	if w.Code != http.StatusUnauthorized {
		t.Errorf("a ping with a bad signature: %d, want 401", w.Code)
	}
}

func TestHookResultsAreReported(t *testing.T) {
	t.Parallel()
	s, _ := hookServer(t, func(f trigger.Firing) (trigger.Result, error) {
		if f.Ref.Pipeline.Name == "release" {
			return trigger.Result{ExecutionID: "e-earlier", Duplicate: true}, nil
		}
		return trigger.Result{Skipped: "paused"}, nil
	})
	payload := `{}`
	w, _ := deliver(t, s, "ci", "application/json", payload, trigger.HeaderDelivery, "build-7",
		trigger.HeaderSignature, trigger.Sign(hookEnv["CI_SECRET"], []byte(payload)),
		"X-Signature", trigger.Sign(hookEnv["CI_OTHER"], []byte(payload)))
	want := `{"deliveryId":"build-7","triggers":[{"key":"shop/release/ci","executionId":"e-earlier","duplicate":true},{"key":"shop/docs/ci","duplicate":false,"skipped":"paused"}]}`
	if got := compact(t, w); w.Code != http.StatusAccepted || got != want {
		t.Errorf("%d %s, want 202 %s", w.Code, got, want)
	}
}

func TestHookStarterErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errors.New("database on fire"), http.StatusInternalServerError},
		{fmt.Errorf("claiming: %w", store.ErrBusy), http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusServiceUnavailable},
	} {
		s, _ := hookServer(t, func(trigger.Firing) (trigger.Result, error) { return trigger.Result{}, tc.err })
		w, body := deliver(t, s, "gitlab", "application/json", `{}`, trigger.HeaderGitLabToken, "glpat-abc")
		msg := fmt.Sprint(body["error"])
		if w.Code != tc.code || !strings.Contains(msg, "retry the delivery") || strings.Contains(msg, "database on fire") {
			t.Errorf("Fire error %v: %d %q, want %d asking for a retry without the cause", tc.err, w.Code, msg, tc.code)
		}
	}
}

// TestHookRefusedStartIsNotRetried: a start the pipeline refuses (a
// parameter of the delivery) is a 400 naming why, not a 500 asking the
// sender to retry what cannot succeed.
func TestHookRefusedStartIsNotRetried(t *testing.T) {
	t.Parallel()
	refused := fmt.Errorf("pipeline ship: %w: version \"a b\" is not a safe token", engine.ErrBadRequest)
	s, _ := hookServer(t, func(trigger.Firing) (trigger.Result, error) { return trigger.Result{}, refused })
	w, body := deliver(t, s, "gitlab", "application/json", `{}`, trigger.HeaderGitLabToken, "glpat-abc")
	msg := fmt.Sprint(body["error"])
	if w.Code != http.StatusBadRequest || !strings.Contains(msg, "not a safe token") || strings.Contains(msg, "retry the delivery") {
		t.Errorf("refused start: %d %q, want 400 with the reason and no retry", w.Code, msg)
	}
}

func TestHookRefusals(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	payload := `{"ref":"refs/heads/main"}`
	ghOK := githubSig(hookEnv["GH_SECRET"], payload)
	unknown, unknownBody := deliver(t, s, "no-such-hook", "application/json", payload, trigger.HeaderGitHubSignature, ghOK)
	for _, tc := range []struct {
		name, hook, ct, body string
		headers              []string
		code                 int
	}{
		{"no signature", "github", "application/json", payload, nil, 401},
		{"wrong signature", "github", "application/json", payload, []string{trigger.HeaderGitHubSignature, githubSig("guess", payload)}, 401},
		{"another hook's trigger's secret", "github", "application/json", payload, []string{trigger.HeaderGitHubSignature, githubSig(hookEnv["CI_SECRET"], payload)}, 401},
		{"an hmac signature on a github hook", "github", "application/json", payload, []string{trigger.HeaderSignature, trigger.Sign(hookEnv["GH_SECRET"], []byte(payload))}, 401},
		{"gitlab token of another", "gitlab", "application/json", payload, []string{trigger.HeaderGitLabToken, hookEnv["GH_SECRET"]}, 401},
		{"a secret that cannot be read", "unset", "application/json", payload, []string{trigger.HeaderSignature, trigger.Sign("", []byte(payload))}, 401},
		{"plain text", "github", "text/plain", payload, []string{trigger.HeaderGitHubSignature, ghOK}, 415},
		{"no content type", "github", "", payload, []string{trigger.HeaderGitHubSignature, ghOK}, 415},
		{"latin-1", "github", "application/json; charset=latin1", payload, []string{trigger.HeaderGitHubSignature, ghOK}, 415},
		{"huge body", "github", "application/json", `{"a":"` + strings.Repeat("x", maxHookBody) + `"}`, nil, 413},
		{"deep JSON", "gitlab", "application/json", strings.Repeat("[", 100) + strings.Repeat("]", 100), []string{trigger.HeaderGitLabToken, "glpat-abc"}, 400},
		{"two JSON values", "gitlab", "application/json", `{} {}`, []string{trigger.HeaderGitLabToken, "glpat-abc"}, 400},
		{"bad delivery ID", "gitlab", "application/json", payload, []string{trigger.HeaderGitLabToken, "glpat-abc", trigger.HeaderGitLabDelivery, strings.Repeat("x", 200)}, 400},
	} {
		w, _ := deliver(t, s, tc.hook, tc.ct, tc.body, tc.headers...)
		if w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, truncate(w.Body.String(), 200), tc.code)
		}
		if tc.code == 401 && (w.Body.String() != unknown.Body.String() || unknown.Code != 401 || !strings.Contains(w.Body.String(), "webhook delivery refused") || w.Header().Get("WWW-Authenticate") != "") {
			t.Errorf("%s: the refusal %s differs from an unknown hook's %d %v: hooks could be told apart", tc.name, w.Body, unknown.Code, unknownBody)
		}
	}
	if len(hooks.fired) != 0 {
		t.Errorf("fired %v", hooks.keys())
	}
}

func TestHookDeepJSONInStringsIsFine(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	body := `{"message":"` + strings.Repeat("[{", 100) + `\"]"}`
	w, _ := deliver(t, s, "gitlab", "application/json", body, trigger.HeaderGitLabToken, "glpat-abc")
	if w.Code != http.StatusAccepted || len(hooks.fired) != 1 {
		t.Fatalf("%d %s: brackets inside a string are no nesting", w.Code, w.Body)
	}
}

func TestHookOtherMethods(t *testing.T) {
	t.Parallel()
	s, _ := hookServer(t, nil)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req := httptest.NewRequest(m, "/api/v1/hooks/github", strings.NewReader(`{}`))
		req.Host = "127.0.0.1"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", m, w.Code)
		}
	}
}

// A delivery comes from another site by design; every other write from
// another site is still refused.
func TestHookIsExemptFromCrossSiteProtectionAlone(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	payload := `{}`
	w, _ := deliver(t, s, "gitlab", "application/json", payload, trigger.HeaderGitLabToken, "glpat-abc",
		"Sec-Fetch-Site", "cross-site", "Origin", "https://gitlab.example.com")
	if w.Code != http.StatusAccepted || len(hooks.fired) != 1 {
		t.Fatalf("cross-site delivery: %d %s, want 202", w.Code, w.Body)
	}
	for _, path := range []string{"/api/v1/config", "/api/v1/pipelines/release/executions", "/api/v1/hooks"} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`))
		req.Host = "127.0.0.1"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://attacker.example")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "cross_origin") {
			t.Errorf("cross-site POST %s: %d %s, want 403 cross_origin", path, w.Code, w.Body)
		}
	}
}

func TestHookWithoutTriggerServiceRefusesAll(t *testing.T) {
	t.Parallel()
	s := New(Config{Auth: authn.New(authn.Config{})})
	w, _ := deliver(t, s, "github", "application/json", `{}`, trigger.HeaderGitHubSignature, githubSig("x", `{}`))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("%d, want 401", w.Code)
	}
}

func TestHookRouteIsSigned(t *testing.T) {
	t.Parallel()
	s := New(Config{Auth: authn.New(authn.Config{})})
	for _, r := range s.Routes() {
		if r.Access.Signed && r.Method+" "+r.Path != hookRoute {
			t.Errorf("%s %s is signed: only the webhook route may be", r.Method, r.Path)
		}
		if r.Method+" "+r.Path == hookRoute && (!r.Access.Signed || r.Access.Public) {
			t.Errorf("the webhook route's rule is %+v, want Signed", r.Access)
		}
	}
}

// A token sent along (a CI job's habit) is not the credential here: the
// signature is, and a bad token does not refuse a good signature.
func TestHookIgnoresBearerTokens(t *testing.T) {
	t.Parallel()
	s, hooks := hookServer(t, nil)
	w, _ := deliver(t, s, "gitlab", "application/json", `{}`, trigger.HeaderGitLabToken, "glpat-abc", "Authorization", "Bearer not-a-token")
	if w.Code != http.StatusAccepted || len(hooks.fired) != 1 {
		t.Fatalf("%d %s, want 202", w.Code, w.Body)
	}
	if _, ok := hooks.fired[0].Input["headers"].(map[string]string)["authorization"]; ok {
		t.Error("the firing's headers show the Authorization header")
	}
}

// FuzzHookPayload: no body makes the parser panic, and what it accepts is
// JSON nested no deeper than the limit.
func FuzzHookPayload(f *testing.F) {
	for _, seed := range []string{`{}`, `[]`, `{"a":[1,{"b":"[[["}]}`, `"\"["`, strings.Repeat("[", 70) + strings.Repeat("]", 70), `payload=%7B%7D`, `{"a":"\\"}`} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, form bool) {
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded"
		}
		payload, text, err := parseHookPayload(ct, []byte(body))
		if err != nil {
			return
		}
		if !json.Valid(text) {
			t.Fatalf("accepted %q, which is not JSON", text)
		}
		var depth func(v any) int
		depth = func(v any) int {
			most := 0
			switch x := v.(type) {
			case map[string]any:
				for _, e := range x {
					most = max(most, depth(e))
				}
				return most + 1
			case []any:
				for _, e := range x {
					most = max(most, depth(e))
				}
				return most + 1
			}
			return 0
		}
		if d := depth(payload); d > maxHookDepth {
			t.Fatalf("accepted JSON nested %d deep", d)
		}
	})
}
