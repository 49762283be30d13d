package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// Target sends one message. An error wrapping ErrPermanent is not retried.
type Target interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a failure another attempt would not fix (a webhook
// that is gone, a refused recipient, a secret that cannot be read).
var ErrPermanent = errors.New("permanent failure")

func permanent(err error) error { return fmt.Errorf("%w (%w)", err, ErrPermanent) }

// Targets builds a notification's target.
type Targets struct {
	// Secrets resolves the target's secret references at each send, so a
	// rotated secret is used at once.
	Secrets *secret.Resolver
	// Client posts HTTP targets; nil: a client with a 10 s timeout.
	Client *http.Client
	// TLS, when set, is the TLS config of SMTP's STARTTLS (tests trust
	// their own server with it); nil: the system's roots.
	TLS *tls.Config
	// Host names gennaker in CloudEvents' source and email Message-IDs.
	Host string
}

// For returns the target of n.
func (t *Targets) For(n model.Notification) (Target, error) {
	switch {
	case n.Slack != nil:
		return &slackTarget{t: t, url: n.Slack.URL}, nil
	case n.Teams != nil:
		return &teamsTarget{t: t, url: n.Teams.URL}, nil
	case n.Webhook != nil:
		return &webhookTarget{t: t, spec: *n.Webhook}, nil
	case n.Email != nil:
		return &emailTarget{t: t, spec: *n.Email}, nil
	case n.CDEvents != nil:
		return &cdeventsTarget{t: t, spec: *n.CDEvents}, nil
	}
	return nil, permanent(fmt.Errorf("notification %s has no target: give it one of slack, teams, webhook, email, cdevents", n.Name))
}

func (t *Targets) client() *http.Client {
	if t.Client != nil {
		return t.Client
	}
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirect}
}

// noRedirect answers a redirect as it is: a target that moved says so in
// the error (a redirected POST would become a GET, and could lead a signed
// message elsewhere).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// value resolves a secret reference; a failure is permanent until the
// config or the server's environment changes, but the delivery is
// retried all the same (someone may fix the secret meanwhile).
func (t *Targets) value(ctx context.Context, v model.StringOrSecret, what string) (string, error) {
	s, err := t.Secrets.Value(ctx, v)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", what, err)
	}
	return s, nil
}

// post sends body to url with headers and reads the answer. Its errors
// never hold the URL's secret parts or the values of headers.
func (t *Targets) post(ctx context.Context, url string, body []byte, headers map[string]string) error {
	red := secret.NewRedactor()
	red.AddURL(url)
	for _, v := range headers {
		red.Add(v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("building the request: %s", red.Redact(err.Error())))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "gennaker")
	resp, err := t.client().Do(req)
	if err != nil {
		return errors.New(red.Redact(secret.Redact(err.Error(), url)))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, red.Redact(string(bytes.TrimSpace(answer))))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return err
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone, resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusUnauthorized:
		return permanent(fmt.Errorf("%w: the target refuses or no longer exists; check its URL and credentials", err))
	}
	return permanent(err)
}
