package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Webhook providers: how a delivery to /api/v1/hooks/{hook} is signed and
// identified.
const (
	// ProviderGitHub: X-Hub-Signature-256 is sha256= and the hex HMAC-SHA256
	// of the raw body; X-GitHub-Delivery identifies the delivery.
	ProviderGitHub = "github"
	// ProviderGitLab: X-Gitlab-Token is the secret itself;
	// X-Gitlab-Event-UUID (or Idempotency-Key) identifies the delivery.
	ProviderGitLab = "gitlab"
	// ProviderHMAC: the trigger's header (default X-Gennaker-Signature) is
	// the hex HMAC-SHA256 of the raw body, optionally prefixed sha256=;
	// X-Gennaker-Delivery (or Idempotency-Key) identifies the delivery.
	ProviderHMAC = "hmac"
)

// Providers lists the webhook providers, in the order messages name them.
var Providers = []string{ProviderGitHub, ProviderGitLab, ProviderHMAC}

// The headers webhook providers sign and identify deliveries with.
const (
	HeaderGitHubSignature = "X-Hub-Signature-256"
	HeaderGitHubDelivery  = "X-GitHub-Delivery"
	HeaderGitHubEvent     = "X-GitHub-Event"
	HeaderGitLabToken     = "X-Gitlab-Token"
	HeaderGitLabDelivery  = "X-Gitlab-Event-UUID"
	HeaderIdempotencyKey  = "Idempotency-Key"
	HeaderSignature       = "X-Gennaker-Signature"
	HeaderDelivery        = "X-Gennaker-Delivery"
)

// MaxDeliveryID bounds a delivery ID given in a header.
const MaxDeliveryID = 128

// HookName is the hook a webhook trigger listens on: its hook, or by
// default its name ("" for a trigger of another source).
func HookName(t model.TriggerSpec) string {
	if t.Webhook == nil {
		return ""
	}
	if t.Webhook.Hook != "" {
		return t.Webhook.Hook
	}
	return t.Name
}

// OnHook lists the webhook triggers of pipelines that listen on hook, in
// the pipelines' order.
func OnHook(pipelines []model.Pipeline, hook string) []Ref {
	var out []Ref
	for _, p := range pipelines {
		for _, t := range p.Triggers {
			if t.Webhook != nil && HookName(t) == hook {
				out = append(out, Ref{Pipeline: p, Spec: t})
			}
		}
	}
	return out
}

// Sign is the hex HMAC-SHA256 of body with secret, as GitHub and provider
// hmac sign a delivery.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether a delivery (its headers and raw body) was signed
// with secret the way the trigger's provider signs. Every comparison takes
// the same time whatever the signature holds; an empty secret verifies
// nothing.
func Verify(w model.WebhookTrigger, secret string, h http.Header, body []byte) bool {
	if secret == "" {
		return false
	}
	switch w.Provider {
	case ProviderGitHub:
		sig, ok := strings.CutPrefix(h.Get(HeaderGitHubSignature), "sha256=")
		return ok && macEqual(secret, body, sig)
	case ProviderGitLab:
		token := h.Get(HeaderGitLabToken)
		// Comparing digests takes the same time whatever the lengths.
		a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(secret))
		return token != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
	case ProviderHMAC:
		sig := h.Get(signatureHeader(w))
		sig = strings.TrimPrefix(sig, "sha256=")
		return macEqual(secret, body, sig)
	}
	return false
}

// macEqual reports whether sig is the hex HMAC-SHA256 of body with secret.
func macEqual(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// signatureHeader is where provider hmac reads the signature.
func signatureHeader(w model.WebhookTrigger) string {
	if w.Header != "" {
		return w.Header
	}
	return HeaderSignature
}

// secretHeaders are the headers a firing's input never shows: signatures,
// tokens and credentials.
func secretHeaders(w model.WebhookTrigger) []string {
	return []string{
		HeaderGitHubSignature, "X-Hub-Signature", HeaderGitLabToken, HeaderSignature, signatureHeader(w),
		"Authorization", "Proxy-Authorization", "Cookie",
	}
}

var deliveryChars = regexp.MustCompile(`^[\x21-\x7e]+$`)

// DeliveryID identifies a delivery for exactly-once starts: the provider's
// delivery header (github X-GitHub-Delivery; gitlab Idempotency-Key, which
// GitLab keeps across the retries of one delivery, else
// X-Gitlab-Event-UUID, which webhooks set off by one event share; hmac
// X-Gennaker-Delivery, else Idempotency-Key),
// or, when the sender gives none, "sha256:" and the hex SHA-256 of the
// body, so the same body sent twice starts the pipeline once. A header
// longer than MaxDeliveryID or with spaces or non-ASCII is an error.
func DeliveryID(provider string, h http.Header, body []byte) (string, error) {
	var names []string
	switch provider {
	case ProviderGitHub:
		names = []string{HeaderGitHubDelivery}
	case ProviderGitLab:
		names = []string{HeaderIdempotencyKey, HeaderGitLabDelivery}
	default:
		names = []string{HeaderDelivery, HeaderIdempotencyKey}
	}
	for _, n := range names {
		id := h.Get(n)
		if id == "" {
			continue
		}
		if len(id) > MaxDeliveryID || !deliveryChars.MatchString(id) {
			return "", fmt.Errorf("the %s header is not a delivery ID: send at most %d printable ASCII characters without spaces, such as a UUID", n, MaxDeliveryID)
		}
		return id, nil
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// IsPing reports whether a delivery is GitHub's ping, sent when a webhook
// is created: it proves the secret but never starts a pipeline.
func IsPing(provider string, h http.Header) bool {
	return provider == ProviderGitHub && h.Get(HeaderGitHubEvent) == "ping"
}

// WebhookDelivery is one verified delivery on a hook.
type WebhookDelivery struct {
	Hook       string
	DeliveryID string
	Header     http.Header
	// Payload is the parsed JSON body; JSON its text (the raw body, or a
	// form-encoded body's payload field).
	Payload any
	JSON    json.RawMessage
}

// WebhookFiring is the firing of a verified delivery for one trigger on
// its hook. Its input is payload, headers (lower-case names, without
// signatures, tokens and credentials; several values joined with ", ")
// and hook; a GitHub push also gives the record its commit.
func WebhookFiring(ref Ref, d WebhookDelivery) Firing {
	var w model.WebhookTrigger
	if ref.Spec.Webhook != nil {
		w = *ref.Spec.Webhook
	}
	hidden := map[string]bool{}
	for _, n := range secretHeaders(w) {
		hidden[strings.ToLower(n)] = true
	}
	headers := map[string]string{}
	for k, vs := range d.Header {
		if k = strings.ToLower(k); !hidden[k] {
			headers[k] = strings.Join(vs, ", ")
		}
	}
	f := Firing{
		Ref:        ref,
		DeliveryID: d.DeliveryID,
		Input:      map[string]any{"payload": d.Payload, "headers": headers, "hook": d.Hook},
		Record:     model.Trigger{Kind: "webhook", Payload: d.JSON},
	}
	if w.Provider == ProviderGitHub && d.Header.Get(HeaderGitHubEvent) == "push" {
		f.Record.CommitSHA, f.Record.CommitTime = githubPushCommit(d.Payload)
	}
	return f
}

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// githubPushCommit reads the commit a GitHub push event moved the branch
// to (after) and its time (head_commit.timestamp); nothing for a deleted
// branch (after is all zeros).
func githubPushCommit(payload any) (string, *time.Time) {
	m, _ := payload.(map[string]any)
	after, _ := m["after"].(string)
	if !commitSHA.MatchString(after) || strings.Trim(after, "0") == "" {
		return "", nil
	}
	head, _ := m["head_commit"].(map[string]any)
	ts, _ := head["timestamp"].(string)
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return after, nil
	}
	return after, &t
}
