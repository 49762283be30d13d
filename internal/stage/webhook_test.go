package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// ciServer is a fake CI system: it answers the webhook call and a status URL
// that reports the given answers in turn (the last one repeats), and records
// every request it gets.
type ciServer struct {
	*httptest.Server

	hookStatus int
	hookBody   string
	statuses   []string // status URL answers, as JSON bodies

	mu       sync.Mutex
	requests []seenRequest
}

type seenRequest struct {
	Method, Path, Key, ContentType, Body, Token string
}

func newCIServer(t *testing.T, hookStatus int, hookBody string, statuses ...string) *ciServer {
	t.Helper()
	ci := &ciServer{hookStatus: hookStatus, hookBody: hookBody, statuses: statuses}
	ci.Server = httptest.NewServer(http.HandlerFunc(ci.serve))
	t.Cleanup(ci.Close)
	return ci
}

func (ci *ciServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ci.mu.Lock()
	ci.requests = append(ci.requests, seenRequest{
		Method: r.Method, Path: r.URL.Path, Key: r.Header.Get(IdempotencyHeader),
		ContentType: r.Header.Get("Content-Type"), Body: string(body), Token: r.Header.Get("X-Token"),
	})
	polls := 0
	for _, req := range ci.requests {
		if req.Path == "/status" {
			polls++
		}
	}
	ci.mu.Unlock()
	switch r.URL.Path {
	case "/hook":
		w.WriteHeader(ci.hookStatus)
		_, _ = io.WriteString(w, ci.hookBody)
	case "/status":
		answer := ci.statuses[min(polls, len(ci.statuses))-1]
		code := http.StatusOK
		if c, rest, ok := strings.Cut(answer, " "); ok {
			if n, err := strconv.Atoi(c); err == nil {
				code, answer = n, rest // "503 busy" answers 503 with the body "busy"
			}
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, answer)
	default:
		http.NotFound(w, r)
	}
}

func (ci *ciServer) seen() []seenRequest {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	return append([]seenRequest(nil), ci.requests...)
}

func hookSpec(ci *ciServer, configure func(*model.WebhookStage)) model.StageSpec {
	w := &model.WebhookStage{URL: model.Inline(ci.URL + "/hook")}
	if configure != nil {
		configure(w)
	}
	return model.StageSpec{Name: "notify", Webhook: w}
}

func withStatusURL(ci *ciServer, field string, success, failure []string) func(*model.WebhookStage) {
	return func(w *model.WebhookStage) {
		w.StatusURL = model.Inline(ci.URL + "/status")
		w.StatusField = field
		w.SuccessValues = success
		w.FailureValues = failure
		w.PollInterval = model.Duration(10 * time.Second)
	}
}

// runWebhook plays the engine: it calls the runner, stores the state it
// returns and calls again at the time it asks, until the stage ends or
// transiently fails. It returns every result.
func runWebhook(t *testing.T, spec model.StageSpec) []Result {
	t.Helper()
	w := &Webhook{Client: &http.Client{Timeout: 5 * time.Second}}
	in := inputFor(spec, clock, clock)
	var results []Result
	for range 20 {
		r := w.Run(context.Background(), in)
		results = append(results, r)
		if r.Outcome != Continue {
			return results
		}
		if r.State != nil {
			in.Stage.State = r.State
		}
		in.Now = r.At
	}
	t.Fatalf("webhook still going after 20 calls")
	return nil
}

func outcomes(rs []Result) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = outcomeName(r.Outcome)
	}
	return strings.Join(names, " ")
}

func TestWebhookCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		want       Outcome
		wantReason []string
	}{
		{name: "200 succeeds", status: 200, body: `{"queued":true}`, want: Succeeded},
		{name: "204 succeeds", status: 204, want: Succeeded},
		{name: "500 is a transient error", status: 500, body: "database down", want: Transient, wantReason: []string{"answered 500 Internal Server Error", "database down"}},
		{name: "503 is a transient error", status: 503, body: "", want: Transient, wantReason: []string{"503 Service Unavailable", "(empty body)"}},
		{name: "429 is a transient error", status: 429, body: "slow down", want: Transient, wantReason: []string{"429 Too Many Requests"}},
		{name: "408 is a transient error", status: 408, body: "", want: Transient, wantReason: []string{"408 Request Timeout"}},
		{name: "400 fails naming the status and body", status: 400, body: `{"error":"unknown job deploy-eu"}`, want: Failed, wantReason: []string{"POST ", "/hook answered 400 Bad Request", `{"error":"unknown job deploy-eu"}`}},
		{name: "401 fails naming the status and body", status: 401, body: "bad token", want: Failed, wantReason: []string{"401 Unauthorized: bad token"}},
		{name: "404 fails naming the status", status: 404, body: "no such hook", want: Failed, wantReason: []string{"404 Not Found: no such hook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ci := newCIServer(t, tt.status, tt.body)
			rs := runWebhook(t, hookSpec(ci, nil))
			r := rs[len(rs)-1]
			if len(rs) != 1 || r.Outcome != tt.want {
				t.Fatalf("outcomes %s (%q), want %s", outcomes(rs), r.Reason, outcomeName(tt.want))
			}
			for _, want := range tt.wantReason {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("reason %q does not say %q", r.Reason, want)
				}
			}
			if r.Outcome == Succeeded {
				out := outputOf(t, r)
				if out["statusCode"] != float64(tt.status) {
					t.Errorf("output statusCode = %v, want %d", out["statusCode"], tt.status)
				}
				wantBody := tt.body
				if wantBody == "" {
					wantBody = "(empty body)"
				}
				if out["body"] != wantBody {
					t.Errorf("output body = %v, want %q", out["body"], wantBody)
				}
			}
			if got := len(ci.seen()); got != 1 {
				t.Errorf("the hook was called %d times, want once", got)
			}
		})
	}
}

func TestWebhookSendsTheConfiguredRequest(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	spec := hookSpec(ci, func(w *model.WebhookStage) {
		w.Method = http.MethodPut
		w.Body = model.Inline(`{"version":"1.4.2"}`)
		w.Headers = model.InlineMap(map[string]string{"X-Token": "s3cret", IdempotencyHeader: "mine"})
	})
	if rs := runWebhook(t, spec); rs[0].Outcome != Succeeded {
		t.Fatalf("outcome %s (%q), want Succeeded", outcomes(rs), rs[0].Reason)
	}
	got := ci.seen()[0]
	want := seenRequest{Method: "PUT", Path: "/hook", Key: "exec-7/notify", ContentType: "application/json", Body: `{"version":"1.4.2"}`, Token: "s3cret"}
	if got != want {
		t.Errorf("CI saw %+v\nwant      %+v", got, want)
	}
}

func TestWebhookDefaultsToPOST(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	runWebhook(t, hookSpec(ci, nil))
	if got := ci.seen()[0]; got.Method != http.MethodPost || got.ContentType != "" {
		t.Errorf("CI saw %s with Content-Type %q, want POST without a Content-Type (no body)", got.Method, got.ContentType)
	}
}

func TestWebhookPollsTheStatusURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		field      string
		success    []string
		failure    []string
		statuses   []string
		want       string // outcomes of every call, in order
		wantReason []string
	}{
		{
			name: "polls until a success value", field: "status", success: []string{"done"}, failure: []string{"error"},
			statuses: []string{`{"status":"queued"}`, `{"status":"running"}`, `{"status":"done"}`},
			want:     "Continue Continue Continue Succeeded",
		},
		{
			name: "a failure value fails the stage naming it", field: "status", success: []string{"done"}, failure: []string{"error"},
			statuses:   []string{`{"status":"running"}`, `{"status":"error"}`},
			want:       "Continue Continue Failed",
			wantReason: []string{`reports status="error", a failure value`},
		},
		{
			name: "without configured values the default words end polling in any case", field: "status",
			statuses: []string{`{"status":"Running"}`, `{"status":"Done"}`},
			want:     "Continue Continue Succeeded",
		},
		{
			name: "a default failure word in capitals fails", field: "status",
			statuses:   []string{`{"status":"ERROR"}`},
			want:       "Continue Failed",
			wantReason: []string{`reports status="ERROR", a failure value`},
		},
		{
			name: "a dotted status field reads nested JSON", field: "result.state", success: []string{"SUCCESS"}, failure: []string{"FAILURE"},
			statuses: []string{`{"result":{"state":"PENDING"}}`, `{"result":{"state":"SUCCESS"}}`},
			want:     "Continue Continue Succeeded",
		},
		{
			name: "a missing status field fails naming the field", field: "result.state", success: []string{"SUCCESS"},
			statuses:   []string{`{"state":"SUCCESS"}`},
			want:       "Continue Failed",
			wantReason: []string{"answer has no field result.state", "set webhook.statusField"},
		},
		{
			name: "the status field defaults to status", success: []string{"ok"},
			statuses:   []string{`{"phase":"ok"}`},
			want:       "Continue Failed",
			wantReason: []string{"answer has no field status"},
		},
		{
			name: "an answer that is not JSON fails saying so", field: "status", success: []string{"ok"},
			statuses:   []string{`<html>maintenance</html>`},
			want:       "Continue Failed",
			wantReason: []string{"answer is not JSON", "<html>maintenance</html>"},
		},
		{
			name: "a number status compares as text", field: "code", success: []string{"0"}, failure: []string{"1"},
			statuses:   []string{`{"code":1}`},
			want:       "Continue Failed",
			wantReason: []string{`reports code="1"`},
		},
		{
			name: "without success values a common success word succeeds", field: "status",
			statuses: []string{`{"status":""}`, `{"status":"running"}`, `{"status":"succeeded"}`},
			want:     "Continue Continue Continue Succeeded",
		},
		{
			name: "a 5xx from the status URL is transient", field: "status", success: []string{"done"},
			statuses:   []string{`{"status":"running"}`, `503 busy`},
			want:       "Continue Continue Transient",
			wantReason: []string{"answered 503"},
		},
		{
			name: "a 4xx from the status URL fails naming it", field: "status", success: []string{"done"},
			statuses:   []string{`404 no such build`},
			want:       "Continue Failed",
			wantReason: []string{"GET ", "/status answered 404 Not Found: no such build"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ci := newCIServer(t, 202, `{"build":17}`, tt.statuses...)
			rs := runWebhook(t, hookSpec(ci, withStatusURL(ci, tt.field, tt.success, tt.failure)))
			if got := outcomes(rs); got != tt.want {
				t.Fatalf("outcomes %s (last reason %q), want %s", got, rs[len(rs)-1].Reason, tt.want)
			}
			last := rs[len(rs)-1]
			for _, want := range tt.wantReason {
				if !strings.Contains(last.Reason, want) {
					t.Errorf("reason %q does not say %q", last.Reason, want)
				}
			}
			// The first Continue comes at once after the call; each later one a poll interval on.
			if !rs[0].At.Equal(clock) {
				t.Errorf("first poll at %v, want at once (%v)", rs[0].At, clock)
			}
			for i := 1; i < len(rs)-1; i++ {
				if want := rs[i-1].At.Add(10 * time.Second); !rs[i].At.Equal(want) {
					t.Errorf("poll %d at %v, want %v (10s later)", i+1, rs[i].At, want)
				}
			}
			seen := ci.seen()
			if seen[0].Path != "/hook" {
				t.Errorf("first request went to %s, want the hook", seen[0].Path)
			}
			for i, req := range seen[1:] {
				if req.Path != "/status" || req.Method != http.MethodGet {
					t.Errorf("request %d was %s %s, want GET /status", i+2, req.Method, req.Path)
				}
			}
			if len(seen) != len(rs) {
				t.Errorf("CI saw %d requests for %d runner calls: the hook must be called once, then one poll per call", len(seen), len(rs))
			}
			if last.Outcome == Succeeded {
				out := outputOf(t, last)
				if out["statusCode"] != float64(202) || out["polls"] != float64(len(rs)-1) {
					t.Errorf("output %v, want statusCode 202 and polls %d", out, len(rs)-1)
				}
			}
		})
	}
}

func TestWebhookIdempotencyKeyIsTheSameOnEveryCall(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok", `{"status":"running"}`, `{"status":"running"}`, `{"status":"done"}`)
	rs := runWebhook(t, hookSpec(ci, withStatusURL(ci, "status", []string{"done"}, nil)))
	if rs[len(rs)-1].Outcome != Succeeded {
		t.Fatalf("outcomes %s, want it to end Succeeded", outcomes(rs))
	}
	// A crash before the first result was stored repeats the call with the same key.
	w := &Webhook{Client: &http.Client{Timeout: 5 * time.Second}}
	w.Run(context.Background(), inputFor(hookSpec(ci, nil), clock, clock))

	seen := ci.seen()
	if len(seen) != 5 {
		t.Fatalf("CI saw %d requests, want 5 (hook, 3 polls, repeated hook)", len(seen))
	}
	for i, req := range seen {
		if req.Key != "exec-7/notify" {
			t.Errorf("request %d (%s %s) carried %s %q, want %q", i+1, req.Method, req.Path, IdempotencyHeader, req.Key, "exec-7/notify")
		}
	}
}

func TestWebhookResumesPollingFromStoredState(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok", `{"status":"done"}`)
	spec := hookSpec(ci, withStatusURL(ci, "status", []string{"done"}, nil))
	in := inputFor(spec, clock, clock.Add(time.Minute))
	in.Stage.State = json.RawMessage(`{"called":true,"statusCode":201,"polls":4}`)
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Succeeded {
		t.Fatalf("outcome %s (%q), want Succeeded", outcomeName(r.Outcome), r.Reason)
	}
	if out := outputOf(t, r); out["statusCode"] != float64(201) || out["polls"] != float64(5) {
		t.Errorf("output %v, want the stored statusCode 201 and polls 5", out)
	}
	if seen := ci.seen(); len(seen) != 1 || seen[0].Path != "/status" {
		t.Errorf("after a restart CI saw %+v, want only a poll (the hook was already called)", seen)
	}
}

func TestWebhookUnreadableStateFails(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	in := inputFor(hookSpec(ci, nil), clock, clock)
	in.Stage.State = json.RawMessage(`{"called":"yes"`)
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Failed || !strings.Contains(r.Reason, `stage "notify": stored state is unreadable`) {
		t.Errorf("outcome %s %q, want Failed saying the state is unreadable", outcomeName(r.Outcome), r.Reason)
	}
	if len(ci.seen()) != 0 {
		t.Errorf("the hook was called with unreadable state")
	}
}

func TestWebhookNetworkErrorIsTransient(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	spec := hookSpec(ci, nil)
	ci.Close() // nothing listens any more

	r := (&Webhook{Client: &http.Client{Timeout: 5 * time.Second}}).Run(context.Background(), inputFor(spec, clock, clock))
	if r.Outcome != Transient || !strings.Contains(r.Reason, "POST "+spec.Webhook.URL.Value) {
		t.Errorf("outcome %s %q, want Transient naming POST %s", outcomeName(r.Outcome), r.Reason, spec.Webhook.URL.Value)
	}
}

func TestWebhookStatusURLNetworkErrorIsTransient(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	spec := hookSpec(ci, withStatusURL(ci, "status", []string{"done"}, nil))
	ci.Close()
	in := inputFor(spec, clock, clock)
	in.Stage.State = json.RawMessage(`{"called":true,"statusCode":200}`)
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Transient || !strings.Contains(r.Reason, "GET "+spec.Webhook.StatusURL.Value) {
		t.Errorf("outcome %s %q, want Transient naming GET %s", outcomeName(r.Outcome), r.Reason, spec.Webhook.StatusURL.Value)
	}
}

func TestWebhookCanceledCallsNothing(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	in := inputFor(hookSpec(ci, nil), clock, clock)
	in.Canceled = true
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Failed || r.Reason != "canceled" {
		t.Errorf("outcome %s %q, want Failed \"canceled\"", outcomeName(r.Outcome), r.Reason)
	}
	if len(ci.seen()) != 0 {
		t.Errorf("a canceled webhook called CI %d times", len(ci.seen()))
	}
}

func TestWebhookDefaultPollInterval(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok", `{"status":"running"}`)
	spec := hookSpec(ci, withStatusURL(ci, "status", []string{"done"}, nil))
	spec.Webhook.PollInterval = 0
	in := inputFor(spec, clock, clock)
	in.Stage.State = json.RawMessage(`{"called":true,"statusCode":200}`)
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Continue || !r.At.Equal(clock.Add(5*time.Second)) {
		t.Errorf("outcome %s at %v, want Continue 5s later (%v)", outcomeName(r.Outcome), r.At, clock.Add(5*time.Second))
	}
}

// A status URL that rate-limits its pollers (429) or times out (408) is
// busy, not broken: the first call treats those answers as transient, and
// polls should too.
func TestWebhookStatusURLRateLimitIsTransient(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"429 slow down", "408 timeout"} {
		ci := newCIServer(t, 200, "ok", `{"status":"running"}`, answer)
		rs := runWebhook(t, hookSpec(ci, withStatusURL(ci, "status", []string{"done"}, nil)))
		if got := outcomes(rs); got != "Continue Continue Transient" {
			t.Errorf("status URL answering %q: outcomes %s (%q), want Continue Continue Transient", answer, got, rs[len(rs)-1].Reason)
		}
	}
}

// A status that is JSON null (the build has no result yet) is no status at
// all: without success values the stage must keep polling, as it does for "".
func TestWebhookNullStatusIsNotSuccess(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok", `{"status":null}`, `{"status":"done"}`)
	rs := runWebhook(t, hookSpec(ci, withStatusURL(ci, "status", nil, nil)))
	if got := outcomes(rs); got != "Continue Continue Succeeded" {
		t.Errorf("outcomes %s (output of the last: %s), want a null status to be polled again", got, rs[len(rs)-1].Output)
	}
}

// A webhook stopped while it still polls (its stage timed out) says what
// the status URL reported last and how to make it end.
func TestWebhookStoppedWhilePollingSaysTheLastStatus(t *testing.T) {
	t.Parallel()
	ci := newCIServer(t, 200, "ok")
	in := inputFor(hookSpec(ci, withStatusURL(ci, "status", nil, nil)), clock, clock)
	in.Stage.State = json.RawMessage(`{"called":true,"statusCode":200,"polls":7,"lastStatus":"in_progress"}`)
	in.Canceled = true
	r := (&Webhook{}).Run(context.Background(), in)
	if r.Outcome != Failed || !strings.Contains(r.Reason, `reported "in_progress" after 7 polls`) || !strings.Contains(r.Reason, "webhook.successValues") {
		t.Errorf("outcome %s %q", outcomeName(r.Outcome), r.Reason)
	}
	if len(ci.seen()) != 0 {
		t.Errorf("a stopped webhook called CI %d times", len(ci.seen()))
	}
}

// echoServer is a receiver that repeats the credentials it was sent in every
// answer, as careless services do in their error pages: the stage must keep
// them out of everything it stores.
type echoServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []echoed
	// answers maps a path to the status code it answers, then the status
	// JSON it reports ({{auth}} is replaced by the Authorization received).
	answers map[string]echoAnswer
}

type echoed struct{ Method, Path, Auth, Body string }

type echoAnswer struct {
	code   int
	status string
}

func newEchoServer(t *testing.T, answers map[string]echoAnswer) *echoServer {
	t.Helper()
	e := &echoServer{answers: answers}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		e.mu.Lock()
		e.seen = append(e.seen, echoed{r.Method, r.URL.Path, auth, string(body)})
		e.mu.Unlock()
		a, ok := e.answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(a.code)
		if a.status != "" {
			_, _ = io.WriteString(w, strings.ReplaceAll(a.status, "{{auth}}", auth))
			return
		}
		_, _ = fmt.Fprintf(w, "you sent %s to %s with %s", body, r.URL, auth)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echoServer) requests() []echoed {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]echoed(nil), e.seen...)
}

// secretHook is a webhook whose URL, status URL, Authorization header and
// body are secretRefs, with the resolver that reads them.
func secretHook(t *testing.T, e *echoServer, withStatus bool) (model.StageSpec, *secret.Resolver, []string) {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "ci-token")
	if err := os.WriteFile(tokenFile, []byte("Bearer tok-8f2a61c9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"HOOK_URL":   e.URL + "/hook/k3y-in-the-path",
		"STATUS_URL": e.URL + "/status/k3y-in-the-path",
		"HOOK_BODY":  `{"password":"pw-5d1e77"}`,
	}
	w := &model.WebhookStage{
		URL: model.FromSecret(model.SecretRef{Env: "HOOK_URL"}),
		Headers: map[string]model.StringOrSecret{
			"Authorization": model.FromSecret(model.SecretRef{File: tokenFile}),
			"X-Team":        model.Inline("payments"),
		},
		Body: model.FromSecret(model.SecretRef{Env: "HOOK_BODY"}),
	}
	if withStatus {
		w.StatusURL = model.FromSecret(model.SecretRef{Env: "STATUS_URL"})
		w.StatusField = "status"
		w.PollInterval = model.Duration(time.Second)
	}
	res := &secret.Resolver{LookupEnv: func(name string) (string, bool) { v, ok := vars[name]; return v, ok }}
	values := []string{vars["HOOK_URL"], vars["STATUS_URL"], "k3y-in-the-path", "tok-8f2a61c9", "pw-5d1e77"}
	return model.StageSpec{Name: "notify", Webhook: w}, res, values
}

// runWith plays the engine like runWebhook, with a resolver.
func runWith(t *testing.T, res *secret.Resolver, spec model.StageSpec) []Result {
	t.Helper()
	w := &Webhook{Client: &http.Client{Timeout: 5 * time.Second}, Secrets: res}
	in := inputFor(spec, clock, clock)
	var results []Result
	for range 10 {
		r := w.Run(context.Background(), in)
		results = append(results, r)
		if r.Outcome != Continue {
			break
		}
		in.Stage.State, in.Now = r.State, r.At
	}
	return results
}

// assertNoSecrets fails when a result's reason, state or output holds a value.
func assertNoSecrets(t *testing.T, rs []Result, values []string) {
	t.Helper()
	for i, r := range rs {
		for _, v := range values {
			for what, text := range map[string]string{"reason": r.Reason, "state": string(r.State), "output": string(r.Output)} {
				if strings.Contains(text, v) {
					t.Errorf("result %d (%s): the %s holds the secret %q: %s", i+1, outcomeName(r.Outcome), what, v, text)
				}
			}
		}
	}
}

func TestWebhookSecretsReachTheReceiverButNoResult(t *testing.T) {
	t.Parallel()
	e := newEchoServer(t, map[string]echoAnswer{
		"/hook/k3y-in-the-path":   {code: 200},
		"/status/k3y-in-the-path": {code: 200, status: `{"status":"done","by":"{{auth}}"}`},
	})
	spec, res, values := secretHook(t, e, true)
	rs := runWith(t, res, spec)
	if got := outcomes(rs); got != "Continue Succeeded" {
		t.Fatalf("outcomes %s (%q), want Continue Succeeded", got, rs[len(rs)-1].Reason)
	}
	seen := e.requests()
	want := []echoed{
		{"POST", "/hook/k3y-in-the-path", "Bearer tok-8f2a61c9", `{"password":"pw-5d1e77"}`},
		{"GET", "/status/k3y-in-the-path", "Bearer tok-8f2a61c9", ""},
	}
	if len(seen) != 2 || seen[0] != want[0] || seen[1] != want[1] {
		t.Errorf("the receiver saw %+v\nwant %+v", seen, want)
	}
	assertNoSecrets(t, rs, values)
	// The references are what the spec (and so the stored pipeline) holds.
	b, _ := json.Marshal(spec)
	if !strings.Contains(string(b), `"url":{"secretRef":{"env":"HOOK_URL"}}`) {
		t.Errorf("spec JSON %s does not keep the reference", b)
	}
	assertNoSecrets(t, []Result{{Reason: string(b)}}, values)
}

func TestWebhookSecretsStayOutOfFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answers  map[string]echoAnswer
		status   bool
		closed   bool
		want     string
		wantSays []string
	}{
		{name: "a 5xx echoing the request", answers: map[string]echoAnswer{"/hook/k3y-in-the-path": {code: 502}},
			want: "Transient", wantSays: []string{"POST (secret from env HOOK_URL) answered 502 Bad Gateway: you sent ", "with ***"}},
		{name: "a 4xx echoing the request", answers: map[string]echoAnswer{"/hook/k3y-in-the-path": {code: 403}},
			want: "Failed", wantSays: []string{"POST (secret from env HOOK_URL) answered 403 Forbidden"}},
		{name: "nothing listening", closed: true,
			want: "Transient", wantSays: []string{"POST (secret from env HOOK_URL): ", "connection refused"}},
		{name: "a status URL answering 404", status: true, answers: map[string]echoAnswer{
			"/hook/k3y-in-the-path": {code: 202}, "/status/k3y-in-the-path": {code: 404}},
			want: "Continue Failed", wantSays: []string{"GET (secret from env STATUS_URL) answered 404 Not Found"}},
		{name: "a status that is the token", status: true, answers: map[string]echoAnswer{
			"/hook/k3y-in-the-path": {code: 202}, "/status/k3y-in-the-path": {code: 200, status: `{"status":"{{auth}}"}`}},
			want: "Continue Continue Continue Continue Continue Continue Continue Continue Continue Continue"},
		{name: "a failure status naming the token", status: true, answers: map[string]echoAnswer{
			"/hook/k3y-in-the-path": {code: 202}, "/status/k3y-in-the-path": {code: 200, status: `{"status":"failed"} {{auth}}`}},
			want: "Continue Failed", wantSays: []string{"answer is not JSON", "***"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEchoServer(t, tt.answers)
			spec, res, values := secretHook(t, e, tt.status)
			if tt.closed {
				e.Close()
			}
			rs := runWith(t, res, spec)
			if got := outcomes(rs); got != tt.want {
				t.Fatalf("outcomes %s (last reason %q), want %s", got, rs[len(rs)-1].Reason, tt.want)
			}
			for _, s := range tt.wantSays {
				if last := rs[len(rs)-1].Reason; !strings.Contains(last, s) {
					t.Errorf("reason %q does not say %q", last, s)
				}
			}
			assertNoSecrets(t, rs, values)
		})
	}
}

// A webhook stopped while polling a status that echoed the token says the
// last status without it (the state it reads was redacted when stored).
func TestWebhookStoppedWhilePollingASecretStatus(t *testing.T) {
	t.Parallel()
	e := newEchoServer(t, map[string]echoAnswer{
		"/hook/k3y-in-the-path": {code: 202}, "/status/k3y-in-the-path": {code: 200, status: `{"status":"{{auth}}"}`}})
	spec, res, values := secretHook(t, e, true)
	rs := runWith(t, res, spec)
	in := inputFor(spec, clock, clock)
	in.Stage.State, in.Canceled = rs[len(rs)-1].State, true
	r := (&Webhook{Secrets: res}).Run(context.Background(), in)
	if r.Outcome != Failed || !strings.Contains(r.Reason, `reported "***"`) {
		t.Errorf("outcome %s %q", outcomeName(r.Outcome), r.Reason)
	}
	assertNoSecrets(t, append(rs, r), values)
}

func TestWebhookUnresolvableSecretFailsWithoutCalling(t *testing.T) {
	t.Parallel()
	e := newEchoServer(t, map[string]echoAnswer{"/hook/k3y-in-the-path": {code: 200}})
	spec, _, _ := secretHook(t, e, false)
	spec.Webhook.Headers["X-Api-Key"] = model.FromSecret(model.SecretRef{Kubernetes: &model.KubernetesSecretRef{Name: "ci", Key: "key"}})
	empty := &secret.Resolver{LookupEnv: func(string) (string, bool) { return "", false }}
	rs := runWith(t, empty, spec)
	r := rs[0]
	for _, want := range []string{
		"webhook.url: environment variable HOOK_URL is not set in the gennaker server's environment: set it and restart the server, or reference a file",
		"webhook.headers.X-Api-Key: kubernetes Secret ci key key is read by the pods of a kubernetes environment",
	} {
		if r.Outcome != Failed || !strings.Contains(r.Reason, want) {
			t.Errorf("outcome %s %q, want Failed saying %q", outcomeName(r.Outcome), r.Reason, want)
		}
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("the receiver was called %d times without its secrets", n)
	}
}

// An inline URL of a Slack-style hook (written before config refused them,
// or sent through the API) has its secret path redacted from messages.
func TestWebhookRedactsInlineHookURLs(t *testing.T) {
	t.Parallel()
	e := newEchoServer(t, map[string]echoAnswer{"/services/T000/B000/XXXXSECRET": {code: 500}})
	target, _ := url.Parse(e.URL)
	client := &http.Client{Timeout: 5 * time.Second, Transport: rewriteHost{target.Host}}
	spec := model.StageSpec{Name: "notify", Webhook: &model.WebhookStage{URL: model.Inline("http://hooks.slack.com/services/T000/B000/XXXXSECRET")}}
	r := (&Webhook{Client: client}).Run(context.Background(), inputFor(spec, clock, clock))
	if r.Outcome != Transient || !strings.Contains(r.Reason, "POST http://hooks.slack.com/services/*** answered 500") || strings.Contains(r.Reason, "XXXXSECRET") {
		t.Errorf("outcome %s %q, want the hook's path redacted", outcomeName(r.Outcome), r.Reason)
	}
}

// rewriteHost sends every request to one test server, whatever its URL.
type rewriteHost struct{ host string }

func (rw rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Host = rw.host
	return http.DefaultTransport.RoundTrip(req)
}

// A target that drops the connection after reading the request is called
// once per attempt: Go's transport would send a request with an
// Idempotency-Key again by itself on a reused connection that drops, so
// every call has a fresh one.
func TestWebhookCallIsNotRepeatedByTheTransport(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusOK) // leaves a connection that could be reused
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	w := &Webhook{Client: &http.Client{Timeout: 5 * time.Second}}
	spec := model.StageSpec{Name: "notify", Webhook: &model.WebhookStage{URL: model.Inline(srv.URL + "/hook")}}
	if r := w.Run(context.Background(), inputFor(spec, clock, clock)); r.Outcome != Succeeded {
		t.Fatalf("first call: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	r := w.Run(context.Background(), inputFor(spec, clock, clock))
	if r.Outcome != Transient {
		t.Fatalf("a dropped connection: %s %q, want a transient error", outcomeName(r.Outcome), r.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Fatalf("the target saw %d calls for 2 attempts; the dropped one was sent again", calls)
	}
}
