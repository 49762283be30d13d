package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// MaxWebCheckBody bounds the answer a web check reads: a larger one is an
// error measurement, not a value.
const MaxWebCheckBody = 1 << 20

// Web makes the measurements of web checks: one request, one JSON value,
// the check's conditions. It is the only I/O of a web check; deciding is
// analysis.Evaluate's.
type Web struct {
	// Client sends the requests; nil is a client without a timeout of its
	// own (each check's timeout bounds its request).
	Client *http.Client
	// Secrets resolves header secretRefs at each measurement; nil reads the
	// server's environment and files.
	Secrets *secret.Resolver
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Measure makes one measurement of a web check for the scope (placeholders
// of the URL and body rendered for it). It never returns an error: what
// went wrong is an error measurement that names the check and the fix.
// Resolved secret values never appear in it.
func (w Web) Measure(ctx context.Context, c model.AnalysisCheck, s Scope) analysis.CheckMeasurement {
	now := w.Now
	if now == nil {
		now = time.Now
	}
	wc := c.Web
	m := analysis.CheckMeasurement{Check: c.Name, Kind: model.CheckWeb, StartedAt: now(), URL: Render(wc.URL, s)}
	red := secret.NewRedactor()
	fail := func(format string, a ...any) analysis.CheckMeasurement {
		m.Phase, m.FinishedAt = analysis.CheckError, now()
		m.Message = red.Redact(fmt.Sprintf("check %s: %s %s: ", c.Name, wc.MethodOrDefault(), m.URL) + fmt.Sprintf(format, a...))
		return m
	}
	red.AddURL(m.URL)

	ctx, cancel := context.WithTimeout(ctx, wc.TimeoutOrDefault())
	defer cancel()
	var body io.Reader
	if wc.MethodOrDefault() == http.MethodPost {
		body = strings.NewReader(Render(wc.Body, s))
	}
	req, err := http.NewRequestWithContext(ctx, wc.MethodOrDefault(), m.URL, body)
	if err != nil {
		return fail("%v: fix web.url", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, k := range slices.Sorted(maps.Keys(wc.Headers)) {
		v, err := w.Secrets.Value(ctx, wc.Headers[k])
		if err != nil {
			return fail("header %s: %v", k, err)
		}
		red.Add(v) // "Bearer TOKEN" brings the token alone too
		req.Header.Set(k, v)
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fail("no answer within %s (web.timeout)", wc.TimeoutOrDefault())
		}
		return fail("%v", err)
	}
	defer resp.Body.Close()
	m.Status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxWebCheckBody+1))
	if err != nil {
		return fail("reading the answer: %v", err)
	}
	if len(data) > MaxWebCheckBody {
		return fail("the answer is larger than %d bytes: point web.url at an endpoint that answers the one value", MaxWebCheckBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail("answered %s: %s", resp.Status, snippet(data))
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fail("the answer is not JSON (%v): %s", err, snippet(data))
	}
	value, err := analysis.SelectJSON(doc, wc.JSONPath)
	if err != nil {
		return fail("%v: fix web.jsonPath (the answer was %s)", err, snippet(data))
	}
	m.Value = value
	m.Phase, m.Message = analysis.Evaluate(c.SuccessCondition, c.FailureCondition, value)
	m.Message = red.Redact(m.Message)
	m.FinishedAt = now()
	return m
}

// snippet is the start of an answer, for messages.
func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	if len(b) == 0 {
		return "(empty)"
	}
	return string(b)
}
