package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/trigger"
)

// Limits of a webhook delivery. GitHub caps its payloads at 25 MB, but
// the events that start pipelines (push, release, workflow_run, a CI
// job's own JSON) are a few KiB: a larger body is refused before any
// secret is used.
const (
	maxHookBody  = 1 << 20
	maxHookDepth = 64
)

// TriggerHooks is what the webhook endpoint asks of the trigger service.
type TriggerHooks interface {
	// HookTriggers lists the webhook triggers of the applied config that
	// listen on hook (trigger.OnHook over the stored pipelines).
	HookTriggers(ctx context.Context, hook string) ([]trigger.Ref, error)
	// Fire starts a firing's pipeline at most once per delivery ID.
	Fire(ctx context.Context, f trigger.Firing) (trigger.Result, error)
}

// HookResponse answers an accepted webhook delivery.
type HookResponse struct {
	DeliveryID string `json:"deliveryId"`
	// Ping is true for GitHub's ping, which proves the secret and starts nothing.
	Ping bool `json:"ping,omitempty"`
	// Triggers lists what each trigger whose secret signed the delivery did.
	Triggers []HookTriggerResult `json:"triggers"`
}

// HookTriggerResult is what one trigger did with a delivery.
type HookTriggerResult struct {
	Key         string `json:"key"`
	ExecutionID string `json:"executionId,omitempty"`
	// Duplicate: an earlier delivery with the same ID started ExecutionID.
	Duplicate bool `json:"duplicate"`
	// Skipped says why nothing started (paused, a `when` condition false).
	Skipped string `json:"skipped,omitempty"`
}

// errHookRefused is the one answer to a delivery no trigger accepts, the
// same for a hook that does not exist, so hooks cannot be enumerated
// (401 unauthenticated).
var errHookRefused = errors.New("webhook delivery refused: no trigger on this hook accepts its signature: check the hook's URL (/api/v1/hooks/HOOK), the provider's signature header (github: X-Hub-Signature-256, gitlab: X-Gitlab-Token, hmac: X-Gennaker-Signature or the trigger's header) and the secret")

// hook receives a signed webhook delivery: it checks the body against
// every trigger on the hook, each with its own secret, and fires those
// that signed it.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	hook := r.PathValue("hook")
	raw, err := readHookBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	refs, err := s.hookTriggers(r.Context(), hook)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("listing the triggers of hook %q: %w", truncate(hook, 64), err))
		return
	}
	verified := s.verifyDelivery(r.Context(), refs, r.Header, raw)
	if len(verified) == 0 {
		s.log.Info("webhook delivery refused: no trigger's secret signed it", "hook", truncate(hook, 64), "triggers", len(refs), "remote", r.RemoteAddr)
		s.writeError(w, r, errHookRefused)
		return
	}
	provider := verified[0].Spec.Webhook.Provider
	id, err := trigger.DeliveryID(provider, r.Header, raw)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("%w: %v", errBadInput, err))
		return
	}
	resp := HookResponse{DeliveryID: id, Triggers: []HookTriggerResult{}}
	if trigger.IsPing(provider, r.Header) {
		resp.Ping = true
		writeJSON(w, http.StatusOK, resp)
		return
	}
	payload, text, err := parseHookPayload(r.Header.Get("Content-Type"), raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d := trigger.WebhookDelivery{Hook: hook, DeliveryID: id, Header: r.Header, Payload: payload, JSON: text}
	for _, ref := range verified {
		res, err := s.cfg.Hooks.Fire(r.Context(), trigger.WebhookFiring(ref, d))
		if err != nil {
			s.log.Error("webhook trigger failed", "trigger", ref.Key(), "delivery", id, "err", err)
			s.writeError(w, r, hookFireError(ref.Key(), err))
			return
		}
		resp.Triggers = append(resp.Triggers, HookTriggerResult{Key: ref.Key(), ExecutionID: res.ExecutionID, Duplicate: res.Duplicate, Skipped: res.Skipped})
		s.log.Info("webhook delivery fired", "trigger", ref.Key(), "delivery", id, "execution", res.ExecutionID, "duplicate", res.Duplicate, "skipped", res.Skipped)
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// hookTriggers lists the triggers on hook (none when the server runs no
// trigger service).
func (s *Server) hookTriggers(ctx context.Context, hook string) ([]trigger.Ref, error) {
	if s.cfg.Hooks == nil {
		return nil, nil
	}
	return s.cfg.Hooks.HookTriggers(ctx, hook)
}

// verifyDelivery returns the triggers whose secret signed the delivery.
// A secret that cannot be read is logged (by its reference, never its
// value) and that trigger accepts nothing. With no trigger on the hook a
// signature is still computed, so an unknown hook answers in the time a
// known one does.
func (s *Server) verifyDelivery(ctx context.Context, refs []trigger.Ref, h http.Header, raw []byte) []trigger.Ref {
	if len(refs) == 0 {
		trigger.Sign("no trigger listens on this hook", raw)
		return nil
	}
	var out []trigger.Ref
	for _, ref := range refs {
		wh := ref.Spec.Webhook
		if wh == nil {
			continue
		}
		key, err := s.secrets().Value(ctx, wh.Secret)
		if err != nil {
			s.log.Warn("a webhook trigger's secret cannot be read, so it accepts no delivery", "trigger", ref.Key(), "err", err)
			continue
		}
		if trigger.Verify(*wh, key, h, raw) {
			out = append(out, ref)
		}
	}
	return out
}

func (s *Server) secrets() *secret.Resolver {
	if s.cfg.Secrets != nil {
		return s.cfg.Secrets
	}
	return &secret.Resolver{}
}

// hookFireError is what the sender is told when a trigger could not start
// its pipeline: retrying the delivery is safe (a started pipeline is not
// started again).
func hookFireError(key string, err error) error {
	msg := fmt.Sprintf("trigger %s could not start its pipeline: retry the delivery (a trigger that started is not started twice)", key)
	if errors.Is(err, store.ErrBusy) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", msg, store.ErrBusy)
	}
	if errors.Is(err, engine.ErrBadRequest) {
		// The pipeline refuses what this delivery asks (a parameter, a
		// version): a retry cannot succeed, and the sender, who proved
		// the secret, may read why.
		return fmt.Errorf("trigger %s: the pipeline refused the start, so retrying this delivery will not help: %w", key, err)
	}
	return errors.New(msg)
}

// readHookBody reads a delivery's raw body (what is signed), refusing one
// over maxHookBody and a content type that is neither JSON nor a form.
func readHookBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if _, err := hookMediaType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return readLimited(w, r, maxHookBody, "a webhook delivery is at most %s: send only what the trigger needs")
}

// hookMediaType is a delivery's content type: JSON (application/json or
// any +json type) or a form whose payload field is the JSON (what GitHub
// sends when a webhook's content type is application/x-www-form-urlencoded).
func hookMediaType(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	cs, hasCharset := params["charset"]
	switch {
	case ct == "" || err != nil:
	case hasCharset && !strings.EqualFold(cs, "utf-8"):
		return "", fmt.Errorf("%w: a webhook delivery must be UTF-8 (got charset %q)", errMediaType, truncate(cs, 32))
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return "application/json", nil
	case mt == "application/x-www-form-urlencoded":
		return mt, nil
	}
	return "", fmt.Errorf("%w: a webhook delivery is JSON, sent with Content-Type: application/json (or a form with a payload field, application/x-www-form-urlencoded); got %q", errMediaType, truncate(ct, 64))
}

// parseHookPayload parses a verified delivery's body: the JSON itself, or
// a form's payload field. text is the JSON's text.
func parseHookPayload(ct string, raw []byte) (payload any, text json.RawMessage, err error) {
	mt, err := hookMediaType(ct)
	if err != nil {
		return nil, nil, err
	}
	text = raw
	if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(raw))
		if err != nil || !form.Has("payload") {
			return nil, nil, fmt.Errorf("%w: a form-encoded delivery needs a payload field holding the JSON (or send the JSON itself with Content-Type: application/json)", errBadInput)
		}
		text = json.RawMessage(form.Get("payload"))
	}
	if d := jsonDepth(text); d > maxHookDepth {
		return nil, nil, fmt.Errorf("%w: the JSON is nested %d levels deep or more, over the limit of %d", errBadInput, d, maxHookDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&payload); err != nil {
		return nil, nil, fmt.Errorf("%w: the body is not JSON: %v", errBadInput, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%w: data after the JSON value: send exactly one JSON value", errBadInput)
	}
	return payload, text, nil
}

// jsonDepth is how deeply arrays and objects nest in a JSON text, counted
// up to one past maxHookDepth (brackets inside strings do not count).
func jsonDepth(b []byte) int {
	depth, most, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > most {
				most = depth
				if most > maxHookDepth {
					return most
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}
