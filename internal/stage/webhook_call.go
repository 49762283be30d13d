package stage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// webhookCall is a webhook's request as it is sent: parameters expanded and
// secrets resolved. It lives for one runner call and is never stored.
type webhookCall struct {
	method         string
	url, statusURL webhookURL
	headers        map[string]string
	body           string
	// redact knows every resolved value, for the messages of this call.
	redact *secret.Redactor
}

// webhookURL is a URL to call and the name messages give it: the URL
// itself when written inline, the reference when read from a secret.
type webhookURL struct {
	value, name string
}

func (u webhookURL) String() string { return u.name }

// prepare expands {{params.NAME}} in the inline values of spec and resolves
// its secretRefs. Its error names every reference that could not be read.
func (w *Webhook) prepare(ctx context.Context, spec *model.WebhookStage, params map[string]string) (*webhookCall, error) {
	c := &webhookCall{method: cmp.Or(spec.Method, http.MethodPost), headers: make(map[string]string, len(spec.Headers)), redact: secret.NewRedactor()}
	var errs []error
	value := func(field string, v model.StringOrSecret) string {
		if !v.IsSecret() {
			return expandParams(v.Value, params)
		}
		s, err := w.Secrets.Value(ctx, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook.%s: %w", field, err))
			return ""
		}
		c.redact.Add(s)
		return s
	}
	webhookURLOf := func(field string, v model.StringOrSecret) webhookURL {
		u := webhookURL{value: value(field, v)}
		u.name = u.value
		if v.IsSecret() {
			u.name = v.String()
		} else {
			c.redact.AddURL(u.value) // a receiver may echo a hook's secret path
			if err := sameOrigin(v.Value, u.value); err != nil {
				errs = append(errs, fmt.Errorf("webhook.%s: %w", field, err))
			}
		}
		return u
	}
	c.url = webhookURLOf("url", spec.URL)
	c.statusURL = webhookURLOf("statusUrl", spec.StatusURL)
	for _, k := range slices.Sorted(maps.Keys(spec.Headers)) {
		c.headers[k] = value("headers."+k, spec.Headers[k])
	}
	c.body = value("body", spec.Body)
	return c, errors.Join(errs...)
}

// redactResult removes the resolved values, and credential-looking parts of
// URLs, from everything a result stores or shows.
func redactResult(red *secret.Redactor, r Result) Result {
	r.Reason = red.Redact(r.Reason)
	r.State = red.RedactJSON(r.State)
	r.Output = red.RedactJSON(r.Output)
	return r
}

// sameOrigin refuses an inline URL whose parameters would change where the
// call goes: written is the URL as configured, expanded the URL to call.
// Config refuses a placeholder in a URL's scheme or host; this holds for a
// pipeline stored before that rule too.
func sameOrigin(written, expanded string) error {
	if written == "" {
		return nil
	}
	origin := model.URLOrigin(written)
	if model.HasPlaceholder(origin) {
		return fmt.Errorf("the URL has a placeholder in its scheme or host (%s): a parameter may fill its path and query only; write the host in the pipeline and apply it again", origin)
	}
	want, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("%s is not a URL's scheme and host: %w", origin, err)
	}
	got, err := url.Parse(expanded)
	if err != nil {
		return fmt.Errorf("the URL with its parameters filled in is not a URL (%w): check the parameters it uses", stripURL(err))
	}
	if originOf(got) != originOf(want) {
		return fmt.Errorf("its parameters would send the call to %s instead of %s: a parameter may fill a URL's path and query only", originOf(got), originOf(want))
	}
	return nil
}

// originOf is a URL's scheme, host and port (the scheme's default when
// none is written), in lower case, without userinfo.
func originOf(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// stripURL drops the URL a url.Error repeats (it may hold a secret).
func stripURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
