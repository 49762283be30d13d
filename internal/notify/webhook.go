package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// Headers of the generic webhook.
const (
	// HeaderDelivery carries the delivery's ID (every HTTP target sends it).
	HeaderDelivery = "X-Gennaker-Delivery"
	// HeaderEvent carries the event's name, such as execution.failed.
	HeaderEvent = "X-Gennaker-Event"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// under the target's secret.
	HeaderSignature = "X-Gennaker-Signature"
)

// webhookTarget posts the message as JSON, signed when it has a secret.
type webhookTarget struct {
	t    *Targets
	spec model.WebhookTarget
}

func (w *webhookTarget) Send(ctx context.Context, m Message) error {
	url, err := w.t.value(ctx, w.spec.URL, "the webhook URL")
	if err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return permanent(err)
	}
	headers := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(w.spec.Headers)) {
		v, err := w.t.value(ctx, w.spec.Headers[k], "header "+k)
		if err != nil {
			return err
		}
		headers[k] = v
	}
	headers["Content-Type"] = "application/json"
	headers[HeaderDelivery] = m.ID
	headers[HeaderEvent] = string(m.Event)
	if !w.spec.Secret.IsZero() {
		key, err := w.t.value(ctx, w.spec.Secret, "the webhook's signing secret")
		if err != nil {
			return err
		}
		headers[HeaderSignature] = Sign([]byte(key), body)
	}
	return w.t.post(ctx, url, body, headers)
}

// Sign is the X-Gennaker-Signature of body under key: "sha256=<hex>".
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's under key, in constant time
// (for receivers written in Go, and the tests).
func Verify(key, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(signature))
}
