package config

import (
	"maps"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/secret"
)

// maxRecipients bounds an email notification's to: list.
const maxRecipients = 50

// validateNotification checks a Notification: its events, its selectors,
// and its target, whose credentials must be secret references the server
// can read.
func validateNotification(doc *Document, n *model.Notification) []Error {
	var errs []Error
	first := map[model.NotifyEvent]int{}
	for i, ev := range n.On {
		p := indexPath("spec.on", i)
		if !ev.Valid() {
			names := make([]string, len(model.NotifyEvents))
			for j, e := range model.NotifyEvents {
				names[j] = string(e)
			}
			msg := "%q is not an event a notification can be sent on: use one of %s"
			if s := didYouMean(string(ev), names); s != "" {
				msg = "%q is not an event a notification can be sent on" + s + " (one of %s)"
			}
			errs = append(errs, doc.errorf(p, msg, ev, strings.Join(names, ", ")))
			continue
		}
		if ev == model.NotifyKPIDigest && n.CDEvents != nil {
			errs = append(errs, doc.errorf(p, "CDEvents has no event type for a KPI digest, so a cdevents notification cannot send kpi_digest: send it to slack, teams, webhook or email in a notification of its own"))
			continue
		}
		errs = append(errs, listedTwice(doc, first, "spec.on", i, ev, string(ev))...)
	}
	for _, sel := range []struct {
		path  string
		names []string
	}{{"spec.applications", n.Applications}, {"spec.pipelines", n.Pipelines}, {"spec.environments", n.Environments}} {
		seen := map[string]int{}
		for i, name := range sel.names {
			if msg := checkName(name); msg != "" {
				errs = append(errs, doc.errorf(indexPath(sel.path, i), "%s", msg))
				continue
			}
			errs = append(errs, listedTwice(doc, seen, sel.path, i, name, name)...)
		}
	}
	switch {
	case n.Slack != nil:
		errs = append(errs, checkHookURL(doc, "spec.slack.url", "Slack", "SLACK_WEBHOOK_URL", n.Slack.URL)...)
	case n.Teams != nil:
		errs = append(errs, checkHookURL(doc, "spec.teams.url", "Microsoft Teams", "TEAMS_WEBHOOK_URL", n.Teams.URL)...)
	case n.Webhook != nil:
		errs = append(errs, checkSinkURL(doc, "spec.webhook.url", n.Webhook.URL)...)
		errs = append(errs, checkServerSecret(doc, "spec.webhook.secret", n.Webhook.Secret)...)
		if !n.Webhook.Secret.IsZero() && !n.Webhook.Secret.IsSecret() {
			errs = append(errs, doc.errorf("spec.webhook.secret", "%s", inlineCredential("the signing secret", "it signs every message")))
		}
		errs = append(errs, checkNotifyHeaders(doc, "spec.webhook.headers", n.Webhook.Headers)...)
	case n.Email != nil:
		errs = append(errs, checkEmail(doc, n.Email)...)
	case n.CDEvents != nil:
		errs = append(errs, checkSinkURL(doc, "spec.cdevents.url", n.CDEvents.URL)...)
		errs = append(errs, checkNotifyHeaders(doc, "spec.cdevents.headers", n.CDEvents.Headers)...)
	}
	return errs
}

// checkHookURL requires an incoming webhook's URL, which is its
// credential, to be a secret reference.
func checkHookURL(doc *Document, path, service, env string, v model.StringOrSecret) []Error {
	if v.IsZero() {
		return nil // reported as a missing required field
	}
	if !v.IsSecret() {
		return []Error{doc.errorf(path, "a %s incoming webhook URL is its credential: anyone who has it can post to the channel; store it where the server reads it and write url: {secretRef: {env: %s}} (or file:)", service, env)}
	}
	return checkServerSecret(doc, path, v)
}

// checkSinkURL checks a URL the server posts to: an inline one must be
// http(s) and carry no credential.
func checkSinkURL(doc *Document, path string, v model.StringOrSecret) []Error {
	if v.IsSecret() {
		return checkServerSecret(doc, path, v)
	}
	if v.Value == "" {
		return nil
	}
	u, err := url.Parse(v.Value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []Error{doc.errorf(path, "%q is not an http or https URL: write one such as https://hooks.example.com/gennaker", secret.Redact(v.Value))}
	}
	if why := secret.CredentialInURL(v.Value); why != "" {
		return []Error{doc.errorf(path, "%s", inlineCredential(secret.Redact(v.Value), why))}
	}
	return nil
}

// checkServerSecret refuses a reference the gennaker server cannot read.
func checkServerSecret(doc *Document, path string, v model.StringOrSecret) []Error {
	if v.Secret != nil && v.Secret.Kubernetes != nil {
		return []Error{doc.errorf(path+".secretRef.kubernetes", "a kubernetes Secret is read by the pods of a kubernetes environment, never by the gennaker server, which sends notifications: use {secretRef: {env: NAME}} or {secretRef: {file: /path}}")}
	}
	return nil
}

// checkNotifyHeaders refuses credential headers written inline.
func checkNotifyHeaders(doc *Document, path string, headers map[string]model.StringOrSecret) []Error {
	var errs []Error
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		p, v := fieldPath(path, k), headers[k]
		errs = append(errs, checkServerSecret(doc, p, v)...)
		if !v.IsSecret() && v.Value != "" && secret.CredentialHeader(k) {
			errs = append(errs, doc.errorf(p, "%s", inlineCredential("header "+k, "by its name")))
		}
	}
	return errs
}

// checkEmail checks an email target: the SMTP address, the addresses, and
// a password that must be a secret reference.
func checkEmail(doc *Document, e *model.EmailTarget) []Error {
	var errs []Error
	if e.SMTP != "" {
		if host, port, err := net.SplitHostPort(e.SMTP); err != nil || host == "" || port == "" {
			errs = append(errs, doc.errorf("spec.email.smtp", "%q is not host:port: write the SMTP server's address, such as smtp.example.com:587", e.SMTP))
		}
	}
	if e.From != "" {
		if _, err := mail.ParseAddress(e.From); err != nil {
			errs = append(errs, doc.errorf("spec.email.from", "%q is not an email address: write one such as gennaker@example.com", e.From))
		}
	}
	if doc.pos.has("spec.email.to") && len(e.To) == 0 {
		errs = append(errs, doc.errorf("spec.email.to", "no recipients: list at least one address"))
	}
	if len(e.To) > maxRecipients {
		errs = append(errs, doc.errorf("spec.email.to", "%d recipients: at most %d (send to a list address instead)", len(e.To), maxRecipients))
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			errs = append(errs, doc.errorf(indexPath("spec.email.to", i), "%q is not an email address: write one such as oncall@example.com", to))
		}
	}
	errs = append(errs, checkServerSecret(doc, "spec.email.username", e.Username)...)
	errs = append(errs, checkServerSecret(doc, "spec.email.password", e.Password)...)
	if !e.Password.IsZero() && !e.Password.IsSecret() {
		errs = append(errs, doc.errorf("spec.email.password", "%s", inlineCredential("the SMTP password", "it is a password")))
	}
	if e.Username.IsZero() != e.Password.IsZero() {
		errs = append(errs, doc.errorf("spec.email", "write both username and password (to log in to the SMTP server) or neither"))
	}
	return errs
}
