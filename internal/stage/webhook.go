package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/secret"
)

// Webhook calls an HTTP endpoint once and, when a status URL is configured,
// polls it until it reports success or failure.
//
// Every call carries the header Idempotency-Key: <execution>/<stage>, the same
// on every attempt, so a receiver can ignore a call that gennaker repeats
// after a crash (the call happened but its result was not yet stored).
//
// URLs, header values and the body may be secretRefs. They are resolved at
// each call and never stored: the stage's state and output hold no request
// data, and every reason, state and output it returns is redacted (the
// resolved values, and credential-looking parts of any URL).
type Webhook struct {
	Client *http.Client
	// Secrets resolves secretRefs at each call; nil reads the server's
	// environment and files.
	Secrets *secret.Resolver
}

var _ Runner = (*Webhook)(nil)

// Status values that end polling when webhook.successValues or
// failureValues are not given, in any case. Anything else (including no
// status yet) keeps polling until the stage's timeout.
var (
	defaultSuccessValues = []string{"success", "succeeded", "done", "completed", "ok", "true"}
	defaultFailureValues = []string{"failure", "failed", "error", "canceled", "cancelled", "false"}
)

// IdempotencyHeader names the header carrying the stable call key.
const IdempotencyHeader = "Idempotency-Key"

type webhookState struct {
	Called     bool `json:"called"`
	StatusCode int  `json:"statusCode,omitempty"`
	Polls      int  `json:"polls,omitempty"`
	// LastStatus is what the status URL reported last, for the reason of a
	// stage that times out still polling.
	LastStatus string `json:"lastStatus,omitempty"`
}

// Run implements Runner.
func (w *Webhook) Run(ctx context.Context, in Input) Result {
	var st webhookState
	if err := DecodeState(in, &st); err != nil {
		return Failf("%v", err)
	}
	if in.Canceled {
		if st.Polls > 0 {
			return Failf("still polling: the status URL reported %q after %d polls, neither a success nor a failure value (set webhook.successValues and failureValues to the values it uses)", st.LastStatus, st.Polls)
		}
		return Failf("canceled")
	}
	call, err := w.prepare(ctx, in.Spec.Webhook, in.Execution.Params)
	if err != nil {
		return Failf("%s", secret.Redact(err.Error()))
	}
	key := in.Execution.ID + "/" + in.Stage.Name
	var r Result
	if !st.Called {
		r = w.call(ctx, in, call, st, key)
	} else {
		r = w.poll(ctx, in, call, st, key)
	}
	return redactResult(call.redact, r)
}

// call makes the webhook's one call.
func (w *Webhook) call(ctx context.Context, in Input, call *webhookCall, st webhookState, key string) Result {
	code, body, err := w.do(ctx, call, call.method, call.url, call.body, key)
	if errors.Is(err, errRedirectElsewhere) {
		return Failf("%v", err)
	}
	if err != nil {
		return Retry(err)
	}
	if code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout {
		return Retry(fmt.Errorf("%s %s answered %d %s: %s", call.method, call.url, code, http.StatusText(code), snippet(body)))
	}
	if code >= 300 {
		return Failf("%s %s answered %d %s: %s", call.method, call.url, code, http.StatusText(code), snippet(body))
	}
	st.Called, st.StatusCode = true, code
	if call.statusURL.value == "" {
		return Succeed(map[string]any{"statusCode": code, "body": snippet(body)}).WithState(st)
	}
	return Again(in.Now, st)
}

func (w *Webhook) poll(ctx context.Context, in Input, call *webhookCall, st webhookState, key string) Result {
	spec := in.Spec.Webhook
	status := call.statusURL
	code, body, err := w.do(ctx, call, http.MethodGet, status, "", key)
	st.Polls++
	if errors.Is(err, errRedirectElsewhere) {
		return Failf("%v", err).WithState(st)
	}
	interval := spec.PollInterval.D()
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if err != nil || code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout {
		if err == nil {
			err = fmt.Errorf("GET %s answered %d %s", status, code, http.StatusText(code))
		}
		return Retry(err)
	}
	if code >= 300 {
		return Failf("GET %s answered %d %s: %s", status, code, http.StatusText(code), snippet(body))
	}
	value, err := lookupField(body, spec.StatusField)
	if err != nil {
		return Failf("status URL %s: %v", status, err)
	}
	st.LastStatus = value // redacted with the rest of the result
	switch {
	case statusIn(spec.FailureValues, defaultFailureValues, value):
		return Failf("status URL %s reports %s=%q, a failure value", status, fieldName(spec.StatusField), value)
	case statusIn(spec.SuccessValues, defaultSuccessValues, value):
		return Succeed(map[string]any{"statusCode": st.StatusCode, "status": value, "polls": st.Polls}).WithState(st)
	}
	return Again(in.Now.Add(interval), st)
}

// statusIn reports whether value is one of the configured values, or, when
// none are configured, one of the defaults in any case.
func statusIn(configured, defaults []string, value string) bool {
	if len(configured) > 0 {
		return slices.Contains(configured, value)
	}
	return slices.Contains(defaults, strings.ToLower(value))
}

func (w *Webhook) do(ctx context.Context, call *webhookCall, method string, target webhookURL, body, key string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target.value, strings.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building %s %s: %w", method, target, err)
	}
	for k, v := range call.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(IdempotencyHeader, key)
	// A fresh connection per call: Go's transport sends a request with an
	// Idempotency-Key (or any GET) a second time by itself when a reused
	// connection drops before the answer, and a call must be made once.
	req.Close = true
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client().Do(req)
	if err != nil {
		// The client's error repeats the URL, which may be a secret: say
		// what happened, naming the URL as the config does.
		return 0, nil, fmt.Errorf("%s %s: %w", method, target, stripURL(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer of %s %s: %w", method, target, err)
	}
	return resp.StatusCode, b, nil
}

// errRedirectElsewhere marks a call whose answer redirected it to another
// scheme, host or port: the stage fails, since following would send the
// call's headers (credentials among them) there.
var errRedirectElsewhere = errors.New("redirected to another scheme, host or port")

// maxRedirects is how many redirects a call follows (as Go's default).
const maxRedirects = 10

// client is w.Client (or Go's default) following redirects only within the
// origin of the URL called: Go would forward custom headers such as
// X-Api-Key to any host a receiver redirects to.
func (w *Webhook) client() *http.Client {
	base := w.Client
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if from, to := originOf(via[0].URL), originOf(req.URL); from != to {
			return fmt.Errorf("%w: the answer redirects from %s to %s, and gennaker follows a webhook's redirects only within its scheme, host and port (its headers would go along): point the URL at where it ends up", errRedirectElsewhere, from, to)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// lookupField reads a dotted path ("status", "result.state") from a JSON body.
func lookupField(body []byte, path string) (string, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("answer is not JSON (%v): %s", err, snippet(body))
	}
	cur := doc
	for _, part := range strings.Split(fieldName(path), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", errors.New("answer has no field " + fieldName(path) + ": set webhook.statusField to the field that holds the status")
		}
		if cur, ok = m[part]; !ok {
			return "", errors.New("answer has no field " + fieldName(path) + ": set webhook.statusField to the field that holds the status")
		}
	}
	switch v := cur.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil // no status yet
	case bool, float64:
		return fmt.Sprint(v), nil
	default:
		return "", errors.New("field " + fieldName(path) + " holds an object or a list: set webhook.statusField to the field that holds the status text")
	}
}

func fieldName(path string) string {
	if path == "" {
		return "status"
	}
	return path
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
